#include "conversation/ConversationHub.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include "conversation/ConversationId.h"
#include "plugin/PluginInstance.h"
#include "protocol/Frames.h"
#include "util/EpochMillis.h"

namespace agenthost::conversation {
namespace {

Poco::Logger& log() {
    return Poco::Logger::get("agenthost.conversation");
}

// The text of a turn's message frames, as the client saw it: what a turn that never finished
// hands on to the history.
std::string streamedText(const std::vector<store::FrameRecord>& frames, int turn) {
    std::string text;
    for (const auto& frame : frames) {
        if (frame.turn != turn) continue;
        try {
            auto object = Poco::JSON::Parser().parse(frame.json).extract<Poco::JSON::Object::Ptr>();
            if (object->getValue<std::string>("type") == "message")
                text += object->getValue<std::string>("content");
        } catch (const Poco::Exception&) {
            // a frame we cannot read adds nothing
        }
    }
    return text;
}

}  // namespace

ConversationHub::ConversationHub(const Services& services) : services_(services) {}

std::shared_ptr<Conversation> ConversationHub::create(
    const std::string& keyName, std::shared_ptr<plugin::PluginInstance> instance) {
    const std::string route = instance->route();
    auto conversation = std::make_shared<Conversation>(newConversationId(), route, keyName,
                                                       services_, std::move(instance));
    std::lock_guard<std::mutex> lock(mutex_);
    // Forget the conversations that went out of memory now and then, not on every create: a
    // sweep costs one pass over the map, so it runs when the map has doubled since the last.
    if (live_.size() >= 2 * liveAfterSweep_ + 64) {
        std::erase_if(live_, [](const auto& entry) { return entry.second.expired(); });
        liveAfterSweep_ = live_.size();
    }
    live_[conversation->id()] = conversation;
    return conversation;
}

std::shared_ptr<Conversation> ConversationHub::findLive(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = live_.find(id);
    if (it == live_.end()) return nullptr;
    return it->second.lock();
}

std::shared_ptr<Conversation> ConversationHub::open(
    const std::string& id, const std::string& keyName,
    std::shared_ptr<plugin::PluginInstance> instance) {
    if (!isWellFormedId(id)) return nullptr;
    auto conversation = findLive(id);
    if (!conversation) conversation = load(id, keyName, instance);
    if (!conversation || conversation->keyName() != keyName ||
        conversation->route() != instance->route())
        return nullptr;
    return conversation;
}

std::shared_ptr<Conversation> ConversationHub::load(
    const std::string& id, const std::string& keyName,
    std::shared_ptr<plugin::PluginInstance> instance) {
    if (!services_.store) return nullptr;
    // One load at a time: two connections resuming the same stored conversation at once must
    // get the same object.
    std::lock_guard<std::mutex> loading(loadMutex_);
    if (auto conversation = findLive(id)) return conversation;
    // Writes of a conversation that just went out of memory may still be queued.
    services_.store->flush();
    auto info = services_.store->find(id);
    if (!info || info->keyName != keyName || info->route != instance->route()) return nullptr;
    Restored restored;
    restored.lastSeq = info->lastSeq;
    restored.lastTurn = info->turns;
    restored.history = std::make_shared<History>();
    for (const auto& turn : services_.store->turns(id)) {
        restored.lastTurn = std::max(restored.lastTurn, turn.turn);
        restored.history->append("user", turn.user);
        if (turn.status == store::TurnStatus::Complete || !turn.assistant.empty())
            restored.history->append(
                "assistant", turn.assistant,
                turn.status == store::TurnStatus::Complete ? turn.pluginData : "");
    }
    restored.pluginState = services_.store->pluginState(id);
    auto conversation = std::make_shared<Conversation>(id, info->route, info->keyName, services_,
                                                       std::move(instance), std::move(restored));
    std::lock_guard<std::mutex> lock(mutex_);
    live_[id] = conversation;
    return conversation;
}

bool ConversationHub::running(const std::string& id) {
    auto conversation = findLive(id);
    return conversation && conversation->running();
}

void ConversationHub::deleted(const std::string& id) {
    std::shared_ptr<Conversation> conversation;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = live_.find(id);
        if (it == live_.end()) return;
        conversation = it->second.lock();
        live_.erase(it);
    }
    if (conversation) conversation->deleted();
}

std::size_t ConversationHub::closeInterruptedTurns() {
    if (!services_.store) return 0;
    auto open = services_.store->openTurns();
    // Numbered after every seq that may have been sent: the conversation's reservation (see
    // Conversation::reserveSeqsLocked), and grows as turns are closed.
    std::unordered_map<std::string, std::int64_t> lastSeq;
    for (const auto& turn : open) {
        auto [it, inserted] = lastSeq.try_emplace(turn.conversationId, turn.lastSeq);
        if (inserted)
            for (const auto& stored : services_.store->turns(turn.conversationId))
                it->second = std::max(it->second, stored.seqReserved);
        const std::int64_t seq = ++it->second;
        const std::string message = "the server stopped while this turn was running";
        auto frame = protocol::tagTurn(
            protocol::errorFrame(protocol::error_code::kInterrupted, message), seq, turn.turn);
        services_.store->appendFrame(turn.conversationId, {seq, turn.turn, std::move(frame.json)});
        store::TurnRecord record;
        for (auto& stored : services_.store->turns(turn.conversationId))
            if (stored.turn == turn.turn) record = std::move(stored);
        record.turn = turn.turn;
        record.assistant = streamedText(
            services_.store->frames(turn.conversationId, 0, turn.lastSeq, 1u << 30), turn.turn);
        record.status = store::TurnStatus::Interrupted;
        record.errorCode = protocol::error_code::kInterrupted;
        record.errorMessage = message;
        record.finishedAt = util::epochMillis();
        services_.store->saveTurn(turn.conversationId, std::move(record));
    }
    services_.store->flush();
    if (!open.empty())
        log().information("closed " + std::to_string(open.size()) +
                          " turn(s) left running by the last run as interrupted");
    return open.size();
}

void ConversationHub::shutdownAll() {
    std::vector<std::shared_ptr<Conversation>> conversations;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& [id, weak] : live_)
            if (auto conversation = weak.lock()) conversations.push_back(std::move(conversation));
    }
    for (const auto& conversation : conversations)
        conversation->end(protocol::error_code::kShuttingDown, "the server is shutting down", true,
                          AGENTHOST_CANCEL_SHUTDOWN);
}

}  // namespace agenthost::conversation
