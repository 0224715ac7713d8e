#include "conversation/Conversation.h"

#include <Poco/Logger.h>
#include <Poco/Util/Timer.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <utility>

#include "conversation/TurnAccess.h"
#include "plugin/InstanceReaper.h"
#include "plugin/PluginInstance.h"
#include "util/CallbackTimerTask.h"
#include "util/EpochMillis.h"

namespace agenthost::conversation {
namespace {

constexpr std::size_t kMaxStateBytes = 64 * 1024;
constexpr std::size_t kMaxTurnDataBytes = 1024 * 1024;
constexpr std::size_t kMaxHistoryResponseBytes = 1 << 20;
// Frames kept in memory when the store cannot take them (none configured, or failing): the
// replay of a resume reaches back this far.
constexpr std::size_t kMaxTailFrames = 10000;
constexpr std::size_t kReplayPage = 1000;
// How far ahead of the last seq the stored reservation is kept (see reserveSeqsLocked).
constexpr std::int64_t kSeqReserve = 2000;

Poco::Logger& log() {
    return Poco::Logger::get("agenthost.conversation");
}

// A plugin's error code as clients may rely on it: a short [a-z0-9_] word, else the generic one.
std::string errorCodeFrom(std::string_view code) {
    const std::string text(code);
    const bool wellFormed =
        !text.empty() && text.size() <= 64 &&
        text.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
    return wellFormed ? text : protocol::error_code::kPluginError;
}

std::uint64_t nextAttachmentId() {
    static std::atomic<std::uint64_t> ids{0};
    return ids.fetch_add(1) + 1;
}

// What a turn record adds to the bytes of writes not yet committed (noteUnstoredLocked).
std::size_t unstoredBytes(const store::TurnRecord& record) {
    return record.user.size() + record.assistant.size();
}

store::TurnRecord turnRecord(int turn, const std::string& user, const std::string& assistant,
                             const std::optional<protocol::Usage>& usage,
                             std::int64_t startedAtMs) {
    store::TurnRecord record;
    record.turn = turn;
    record.user = user;
    record.assistant = assistant;
    if (usage)
        record.usage =
            store::TokenUsage{usage->inputTokens, usage->outputTokens, usage->hasCache,
                              usage->cacheCreationInputTokens, usage->cacheReadInputTokens};
    record.startedAt = startedAtMs;
    return record;
}

}  // namespace

Attachment::Attachment(std::shared_ptr<net::Connection> connection_, int protocol_,
                       std::weak_ptr<AttachmentListener> listener_, protocol::EventFilter events_)
    : id(nextAttachmentId()),
      connection(std::move(connection_)),
      protocol(protocol_),
      listener(std::move(listener_)),
      events(events_) {}

Conversation::Conversation(std::string id, std::string route, std::string keyName,
                           const Services& services,
                           std::shared_ptr<plugin::PluginInstance> instance,
                           std::optional<Restored> restored)
    : identity_(std::make_shared<RequestIdentity>(
          RequestIdentity{std::move(route), std::move(id), std::move(keyName)})),
      storeRef_(identity_, &identity_->conversationId),
      services_(services),
      queue_(std::make_shared<core::SerialQueue>(*services.pool)),
      metrics_(services.metrics ? services.metrics->recorder(identity_->route, identity_->keyName)
                                : metrics::Recorder()),
      instance_(std::move(instance)),
      runtime_(services.runtime()),
      history_(std::make_shared<History>()) {
    if (restored) {
        lastSeq_ = restored->lastSeq;
        seqReserved_ = restored->lastSeq;
        lastTurn_ = restored->lastTurn;
        stored_ = true;
        if (restored->history) history_ = std::move(restored->history);
        pluginState_ = std::move(restored->pluginState);
    }
}

Conversation::~Conversation() {
    releaseResponseSlotLocked();  // the last reference: nobody else holds mutex_
    // This may run on a plugin thread (the last reference can be a plugin callback's), and the
    // last reference to an instance destroys it, which joins the plugin's threads: so the
    // reaper lets go of it instead.
    services_.reaper->release(std::move(instance_));
}

bool Conversation::running() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return runningLocked();
}

// ---- Connections

bool Conversation::attach(
    const std::shared_ptr<Attachment>& attachment, std::optional<std::int64_t> afterSeq,
    const std::function<std::string(std::int64_t lastSeq, bool running)>& greeting,
    const Attachment* replacing) {
    std::vector<std::string> unstored;  // replayed from memory
    std::int64_t storedUpTo = 0;        // frames up to this seq are replayed from the store
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (afterSeq && (*afterSeq < 0 || *afterSeq > lastSeq_)) return false;
        if (replacing)
            std::erase_if(attachments_, [&](const auto& a) { return a->id == replacing->id; });
        if (afterSeq) metrics_.resumed();
        attachment->connection->sendText(greeting(lastSeq_, runningLocked()));
        attachments_.push_back(attachment);
        if (!afterSeq || *afterSeq == lastSeq_) return true;
        trimTailLocked();
        storedUpTo = tail_.empty() ? lastSeq_ : tail_.front().seq - 1;
        for (const auto& frame : tail_)
            if (frame.seq > *afterSeq && replays(*attachment, frame.json))
                unstored.push_back(protocol::replayOf(frame.json));
        attachment->replaying_ = true;
    }
    // Durable frames come from the store, without the lock: live frames meanwhile wait in the
    // attachment.
    if (services_.store) {
        for (std::int64_t after = *afterSeq; after < storedUpTo;) {
            auto page = services_.store->frames(id(), after, storedUpTo, kReplayPage);
            if (page.empty()) break;
            after = page.back().seq;
            std::erase_if(page, [&](const auto& frame) {
                return !replays(*attachment, frame.json);  // a gap, as the spec says
            });
            metrics_.replayed(page.size());
            net::Connection::Batch batch(*attachment->connection);
            for (const auto& frame : page)
                attachment->connection->sendText(protocol::replayOf(frame.json));
        }
    }
    metrics_.replayed(unstored.size());
    std::lock_guard<std::mutex> lock(mutex_);
    net::Connection::Batch batch(*attachment->connection);
    for (const auto& frame : unstored) attachment->connection->sendText(frame);
    for (const auto& frame : attachment->held_) attachment->connection->sendText(frame);
    attachment->held_.clear();
    attachment->replaying_ = false;
    return true;
}

void Conversation::detach(const Attachment& attachment) {
    std::shared_ptr<TurnRequest> victim;
    std::shared_ptr<Conversation> release;
    bool more = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        std::erase_if(attachments_, [&](const auto& a) { return a->id == attachment.id; });
        const bool protocol2Stays = std::any_of(attachments_.begin(), attachments_.end(),
                                                [](const auto& a) { return a->protocol == 2; });
        if (attachment.protocol == 1 && !protocol2Stays) {
            if (current_ && current_->senderAttachment == attachment.id)
                victim = endCurrentLocked(store::TurnStatus::Cancelled, nullptr, "",
                                          AGENTHOST_CANCEL_DISCONNECT);
            std::deque<Pending> kept;
            for (auto& pending : pending_) {
                if (pending.sender == attachment.id)
                    endPendingLocked(pending, nullptr, "");
                else
                    kept.push_back(std::move(pending));
            }
            pending_ = std::move(kept);
        }
        more = victim && !pending_.empty();
        releaseIfIdleLocked(release);
    }
    if (victim) victim->cancel(AGENTHOST_CANCEL_DISCONNECT);
    if (more) queue_->post([self = shared_from_this()] { self->startNext(); });
}

// ---- Client actions

Conversation::Submitted Conversation::submit(const Attachment& sender, std::string text,
                                             limits::Refusal* refusal) {
    bool startNow = false;
    auto runtime = services_.runtime();  // not under mutex_: it takes the host's lock
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (deleted_ || stopping_) return Submitted::Gone;
        runtime_ = std::move(runtime);
        if (current_ && pending_.size() >= runtime_->server.maxQueuedMessages)
            return Submitted::Busy;
        if (services_.limits) {
            auto refused = services_.limits->admitMessage(keyName(), !holdsResponseSlot_);
            if (refused) {
                if (refusal) *refusal = std::move(*refused);
                return Submitted::Limited;
            }
            holdsResponseSlot_ = true;
        }
        const int turn = ++lastTurn_;
        const std::int64_t now = util::epochMillis();
        if (!stored_ && services_.store) {
            services_.store->createConversation({id(), route(), keyName(), now});
        }
        stored_ = true;
        reserveSeqsLocked();  // the turn record saved next carries it
        // The running record goes to the store with the user frame, in one write.
        saveRunningTurnLocked(turn, text, "", std::nullopt, now, true);
        publishLocked(protocol::userFrame(text), turn, Kind::User);
        // Only a protocol 2 sender that takes approval_request events can answer one.
        const bool canAsk =
            sender.protocol == 2 && sender.events.admits(protocol::EventKind::ApprovalRequest);
        pending_.push_back({turn, std::move(text), sender.id, sender.protocol == 1, canAsk, now});
        metrics_.queued();
        if (!keepAlive_) keepAlive_ = shared_from_this();
        startNow = !current_;
    }
    if (startNow) startNext();
    return Submitted::Accepted;
}

void Conversation::cancel() {
    std::shared_ptr<TurnRequest> victim;
    std::shared_ptr<Conversation> release;
    bool more = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        victim =
            endCurrentLocked(store::TurnStatus::Cancelled, nullptr, "", AGENTHOST_CANCEL_CLIENT);
        if (!victim) return;
        more = !pending_.empty();
        releaseIfIdleLocked(release);
    }
    victim->cancel(AGENTHOST_CANCEL_CLIENT);
    if (more) queue_->post([self = shared_from_this()] { self->startNext(); });
}

void Conversation::end(const char* code, const std::string& message, bool final,
                       std::uint32_t reason) {
    std::shared_ptr<TurnRequest> victim;
    std::shared_ptr<Conversation> release;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (final) stopping_ = true;
        victim = endCurrentLocked(store::TurnStatus::Error, code, message, reason);
        for (const auto& pending : pending_) endPendingLocked(pending, code, message);
        pending_.clear();
        releaseIfIdleLocked(release);
    }
    if (victim) victim->cancel(reason);
}

void Conversation::deleted() {
    std::shared_ptr<TurnRequest> victim;
    std::shared_ptr<Conversation> release;
    std::vector<std::shared_ptr<Attachment>> attached;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        deleted_ = true;
        victim = std::move(current_);
        if (victim) victim->ended(AGENTHOST_CANCEL_DELETED);
        dropApprovalsLocked();
        if (victim) recordEndLocked(*victim, metrics::Outcome::Cancelled, "");
        for (std::size_t i = 0; i < pending_.size(); ++i)
            metrics_.ended(metrics::Outcome::Cancelled, "", false, {});
        pending_.clear();
        paced_.clear();
        pacedBytes_ = 0;
        tail_.clear();
        tailBytes_ = 0;
        unstored_.clear();
        unstoredBytes_ = 0;
        writable_.notify_all();
        attached = std::move(attachments_);
        attachments_.clear();
        releaseIfIdleLocked(release);
    }
    if (victim) victim->cancel(AGENTHOST_CANCEL_DELETED);
    for (const auto& attachment : attached)
        if (auto listener = attachment->listener.lock()) listener->conversationDeleted();
}

// ---- Running turns

void Conversation::startNext() {
    std::shared_ptr<TurnRequest> request;
    std::shared_ptr<plugin::PluginInstance> instance;
    std::shared_ptr<net::Connection> senderConnection;
    // The newest config's settings and instance apply from here; read before mutex_, since
    // they take the host's lock.
    auto runtime = services_.runtime();
    auto newest = services_.currentInstance ? services_.currentInstance(route()) : nullptr;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_ || deleted_ || current_ || pending_.empty()) return;
        runtime_ = std::move(runtime);
        moveToInstanceLocked(std::move(newest));
        instance = instance_;
        Pending next = std::move(pending_.front());
        pending_.pop_front();
        request = std::make_shared<TurnRequest>(
            weak_from_this(), services_.requestIds->fetch_add(1) + 1, next.turn,
            std::move(next.text), identity_, history_, pluginState_);
        request->setTimeout(std::chrono::seconds(instance->settings().requestTimeoutS));
        request->senderAttachment = next.sender;
        request->senderIsProtocol1 = next.senderIsProtocol1;
        request->honorsSlowDown = instance->honorsSlowDown();
        request->setFlags(next.canAskApproval ? AGENTHOST_REQUEST_CAN_ASK_APPROVAL : 0u);
        request->startedAtMs = next.acceptedAtMs;
        request->limits = services_.limits;
        request->runningSince = metrics_.now();
        metrics_.started();
        current_ = request;
        chunker_ = util::Utf8Chunker(runtime_->streaming.chunkChars);
        thinkingChunker_ = util::Utf8Chunker(runtime_->streaming.chunkChars);
        for (const auto& attachment : attachments_)
            if (attachment->id == next.sender) senderConnection = attachment->connection;
    }
    // request_start may block for milliseconds (ABI): off the event loop, whose thread every
    // connection shares, unless the plugin promised it never blocks.
    if (instance->nonBlockingStart()) {
        startRequest(request, instance, senderConnection);
        return;
    }
    queue_->post([self = shared_from_this(), request, instance, senderConnection] {
        self->startRequest(request, instance, senderConnection);
    });
}

void Conversation::startRequest(const std::shared_ptr<TurnRequest>& request,
                                const std::shared_ptr<plugin::PluginInstance>& instance,
                                const std::shared_ptr<net::Connection>& senderConnection) {
    // Frames the plugin sends before start returns (an answer it had at hand) leave in one write.
    std::optional<net::Connection::Batch> batch;
    if (senderConnection) batch.emplace(*senderConnection);
    const auto timeout = std::chrono::seconds(instance->settings().requestTimeoutS);
    if (timeout.count() > 0) scheduleTimeout(request, timeout);
    auto started = request->start(instance, *services_.reaper);
    if (started.accepted) return;
    // The plugin's own code and sentence when it gave them (a code that is not a well-formed
    // word becomes plugin_error).
    requestFinished(
        *request,
        started.refusalCode.empty() ? protocol::error_code::kPluginError : started.refusalCode,
        started.refusalMessage.empty() ? "the plugin refused the request" : started.refusalMessage);
}

void Conversation::scheduleTimeout(const std::shared_ptr<TurnRequest>& request,
                                   std::chrono::seconds after) {
    std::weak_ptr<Conversation> weakSelf = weak_from_this();
    std::weak_ptr<TurnRequest> weakRequest = request;
    util::scheduleAfter(*services_.timer, after, [weakSelf, weakRequest, after] {
        auto self = weakSelf.lock();
        auto timedOut = weakRequest.lock();
        if (self && timedOut) self->requestTimedOut(timedOut, after);
    });
}

void Conversation::requestTimedOut(const std::shared_ptr<TurnRequest>& request,
                                   std::chrono::seconds after) {
    std::shared_ptr<TurnRequest> victim;
    std::shared_ptr<Conversation> release;
    bool more = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (request != current_) return;  // it ended in time
        victim =
            endCurrentLocked(store::TurnStatus::Error, protocol::error_code::kTimeout,
                             "the plugin did not answer within " + std::to_string(after.count()) +
                                 " s (request_timeout_s of [plugin." + route() + "])",
                             AGENTHOST_CANCEL_TIMEOUT);
        more = !pending_.empty();
        releaseIfIdleLocked(release);
    }
    victim->cancel(AGENTHOST_CANCEL_TIMEOUT);
    if (more) queue_->post([self = shared_from_this()] { self->startNext(); });
}

void Conversation::moveToInstanceLocked(std::shared_ptr<plugin::PluginInstance> newest) {
    if (!newest || newest == instance_) return;       // unchanged, or the route is gone: keep ours
    services_.reaper->release(std::move(instance_));  // see ~Conversation
    instance_ = std::move(newest);
}

std::uint32_t Conversation::requestText(TurnRequest& request, std::string_view text) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (&request != current_.get()) return request.endedStatus();
    for (auto& chunk : chunker_.push(text)) {
        if (firstChunk_.turn != request.turn) firstChunk_ = {request.turn, util::epochMillis()};
        if (request.responseText.size() < kMaxHistoryResponseBytes)
            request.responseText.append(chunk);  // as sent: valid UTF-8
        chunkSentLocked(request);
        emitLocked(protocol::messageFrame(chunk), request.turn);
    }
    return acceptedLocked(request);
}

void Conversation::requestUsage(TurnRequest& request, std::uint64_t input, std::uint64_t output) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (&request != current_.get()) return;
    protocol::Usage usage = request.usage.value_or(protocol::Usage{});  // keeps the cache counts
    usage.inputTokens = input;
    usage.outputTokens = output;
    request.usage = usage;
}

void Conversation::requestCacheUsage(TurnRequest& request, std::uint64_t creation,
                                     std::uint64_t read) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (&request != current_.get()) return;
    protocol::Usage usage = request.usage.value_or(protocol::Usage{});
    usage.hasCache = true;
    usage.cacheCreationInputTokens = creation;
    usage.cacheReadInputTokens = read;
    request.usage = usage;
}

void Conversation::requestTurnData(TurnRequest& request, std::string_view data) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (&request != current_.get()) return;
    if (data.size() > kMaxTurnDataBytes) {
        log().warning("plugin " + route() + " set turn data over 1 MiB; ignored");
        return;
    }
    request.turnData = std::string(data);
}

void Conversation::requestStopReason(TurnRequest& request, std::string_view reason) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (&request == current_.get()) request.stopReason = util::repairUtf8(reason.substr(0, 64));
}

void Conversation::requestState(TurnRequest& request, std::string_view state) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (&request != current_.get()) return;
    if (state.size() > kMaxStateBytes) {
        log().warning("plugin " + route() + " set a session state over 64 KiB; ignored");
        return;
    }
    request.newState = std::string(state);
}

void Conversation::requestFinished(TurnRequest& request, std::string_view code,
                                   std::string_view message) {
    std::shared_ptr<Conversation> release;  // declared first: let go of after the lock
    bool more = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        // Finished: the plugin reads none of the request any more. Dropping the history
        // snapshot under the mutex lets commitHistoryLocked() see for sure whether it is shared.
        request.releaseHistory();
        if (&request != current_.get()) return;  // cancelled: already answered
        dropApprovalsLocked();
        flushThinkingLocked(request.turn);
        if (auto rest = chunker_.flush(); !rest.empty()) {
            request.responseText.append(rest);
            chunkSentLocked(request);
            emitLocked(protocol::messageFrame(rest), request.turn);
        }
        // The turn is over: a seq reservation made by its terminal frame must not save it as
        // running again (see publishLocked).
        current_.reset();
        writable_.notify_all();
        // With nothing queued the key's response slot is free before the terminal frame goes
        // out: a client that sends its next message (or reads /api/usage) once it has the frame
        // must not find the slot still taken.
        if (pending_.empty()) releaseResponseSlotLocked();
        // The turn record is queued before its terminal frame goes out (with it, in one write,
        // unless the frame waits for pacing): a client that reads the conversation over HTTP once
        // it has the frame finds the turn finished.
        if (code.empty()) {
            if (request.newState) {
                pluginState_ = *request.newState;
                if (services_.store && !deleted_)
                    services_.store->savePluginState(storeRef_, pluginState_);
            }
            commitHistoryLocked(request.message, request.responseText, true, request.turnData);
            saveEndedTurnLocked(request.turn, request.message, request.responseText,
                                request.startedAtMs,
                                {.status = store::TurnStatus::Complete,
                                 .usage = request.usage,
                                 .stopReason = request.stopReason,
                                 .turnData = request.turnData});
            recordEndLocked(request, metrics::Outcome::Complete, "");
            emitLocked(protocol::completeFrame(request.usage, request.stopReason), request.turn);
        } else {
            const std::string errorCode = errorCodeFrom(code);
            const std::string text =
                util::repairUtf8(!message.empty() ? message : "the plugin reported an error");
            commitHistoryLocked(request.message, request.responseText, false);
            saveEndedTurnLocked(request.turn, request.message, request.responseText,
                                request.startedAtMs,
                                {.status = store::TurnStatus::Error,
                                 .usage = request.usage,
                                 .errorCode = errorCode,
                                 .errorMessage = text});
            recordEndLocked(request, metrics::Outcome::Error, errorCode);
            emitLocked(protocol::errorFrame(errorCode, text), request.turn);
        }
        more = !pending_.empty();
        releaseIfIdleLocked(release);
    }
    if (more) queue_->post([self = shared_from_this()] { self->startNext(); });
}

std::shared_ptr<TurnRequest> Conversation::endCurrentLocked(store::TurnStatus status,
                                                            const char* code,
                                                            const std::string& message,
                                                            std::uint32_t reason) {
    if (!current_) return nullptr;
    auto victim = std::move(current_);
    victim->ended(reason);   // before the lock is let go: the plugin's next emit learns why
    writable_.notify_all();  // and a plugin waiting for its readers stops waiting
    paced_.clear();          // nothing more of the ended response goes out
    pacedBytes_ = 0;
    dropApprovalsLocked();
    commitHistoryLocked(victim->message, victim->responseText, false);
    // Before the frame, as in requestFinished.
    saveEndedTurnLocked(victim->turn, victim->message, victim->responseText, victim->startedAtMs,
                        {.status = status,
                         .usage = victim->usage,
                         .errorCode = code ? code : protocol::error_code::kCancelled,
                         .errorMessage = message});
    recordEndLocked(*victim, code ? metrics::Outcome::Error : metrics::Outcome::Cancelled,
                    code ? code : "");
    if (pending_.empty()) releaseResponseSlotLocked();  // before the frame, as in requestFinished
    publishLocked(code ? protocol::errorFrame(code, message) : protocol::cancelledFrame(),
                  victim->turn, Kind::Other);
    return victim;
}

void Conversation::endPendingLocked(const Pending& pending, const char* code,
                                    const std::string& message) {
    commitHistoryLocked(pending.text, "", false);
    saveEndedTurnLocked(pending.turn, pending.text, "", pending.acceptedAtMs,
                        {.status = code ? store::TurnStatus::Error : store::TurnStatus::Cancelled,
                         .errorCode = code ? code : protocol::error_code::kCancelled,
                         .errorMessage = message});
    metrics_.ended(code ? metrics::Outcome::Error : metrics::Outcome::Cancelled, code ? code : "",
                   false, {});
    publishLocked(code ? protocol::errorFrame(code, message) : protocol::cancelledFrame(),
                  pending.turn, Kind::Other);
}

void Conversation::commitHistoryLocked(const std::string& user, const std::string& assistant,
                                       bool complete, std::string turnData) {
    const std::size_t maxTurns = runtime_->server.historyMaxTurns;
    if (maxTurns == 0) return;
    if (history_.use_count() > 1)  // a request still reads this one: write a new one
        history_ = std::make_shared<History>(*history_);
    history_->append("user", user);
    // A turn that did not complete keeps what the client saw of it, if anything.
    if (complete || !assistant.empty())
        history_->append("assistant", assistant, complete ? std::move(turnData) : "");
    history_->keepLast(2 * maxTurns);
}

// The first message frame of a request: its time to first chunk.
void Conversation::chunkSentLocked(TurnRequest& request) {
    if (request.sentChunk) return;
    request.sentChunk = true;
    metrics_.firstChunk(request.runningSince);
}

// A running request ended: its outcome, duration and tokens.
void Conversation::recordEndLocked(const TurnRequest& request, metrics::Outcome outcome,
                                   const std::string& errorCode) {
    metrics_.ended(outcome, errorCode, true, request.runningSince);
    if (request.usage) metrics_.tokens(request.usage->inputTokens, request.usage->outputTokens);
}

void Conversation::releaseIfIdleLocked(std::shared_ptr<Conversation>& out) {
    if (!current_ && pending_.empty() && paced_.empty()) {
        out = std::move(keepAlive_);
        releaseResponseSlotLocked();
    }
}

void Conversation::releaseResponseSlotLocked() {
    if (!holdsResponseSlot_) return;
    holdsResponseSlot_ = false;
    services_.limits->responseEnded(keyName());
}

// ---- Frames

void Conversation::emitLocked(std::string frame, int turn, Kind kind, protocol::EventKind event) {
    if (runtime_->streaming.chunkDelayMs == 0 && paced_.empty()) {
        publishLocked(std::move(frame), turn, kind, event);
        return;
    }
    saveHeldTurnLocked();  // the record is not held back while its frame waits
    pacedBytes_ += frame.size();
    paced_.push_back({std::move(frame), turn, kind, event});
    if (!pacingScheduled_) drainPacedLocked();
}

void Conversation::publishLocked(std::string frame, int turn, Kind kind,
                                 protocol::EventKind event) {
    std::optional<store::TurnRecord> record = std::exchange(recordForNextFrame_, std::nullopt);
    if (deleted_) return;
    if (reserveSeqsLocked() && current_)
        saveRunningTurnLocked(current_->turn, current_->message, current_->responseText,
                              current_->usage, current_->startedAtMs, false);
    const std::int64_t seq = ++lastSeq_;
    auto tagged = protocol::tagTurn(std::move(frame), seq, turn);
    store::Ticket ticket = 0;
    std::size_t unstored = tagged.json.size();
    if (services_.store && record) {
        unstored += unstoredBytes(*record);
        ticket = services_.store->saveTurnWithFrame(storeRef_, std::move(*record),
                                                    {seq, turn, tagged.json});
    } else if (services_.store) {
        ticket = services_.store->appendFrame(storeRef_, {seq, turn, tagged.json});
    }
    std::string protocol1;  // built once, if a protocol 1 connection is attached
    for (const auto& attachment : attachments_) {
        if (attachment->protocol == 2) {
            if (kind != Kind::Event || attachment->events.admits(event))
                deliverLocked(*attachment, tagged.json);
        } else if (kind == Kind::Other) {
            if (protocol1.empty()) protocol1 = tagged.protocol1();
            deliverLocked(*attachment, protocol1);
        }
    }
    if (services_.store) noteUnstoredLocked(ticket, unstored);
    pushTailLocked({seq, std::move(tagged.json), ticket});
    trimTailLocked();
}

// A crash loses the frames sent in the last moments before it (the store's writer had not
// committed them), so recovery cannot number its closing frame after the last stored seq: a
// client may have seen that seq already. The turn records carry a reservation kept kSeqReserve
// ahead of the last seq, renewed when half of it is used; recovery numbers after it. True when
// the reservation moved (the caller saves a turn record to store it).
bool Conversation::reserveSeqsLocked() {
    if (!services_.store || lastSeq_ + kSeqReserve / 2 < seqReserved_) return false;
    seqReserved_ = lastSeq_ + kSeqReserve;
    return true;
}

void Conversation::deliverLocked(Attachment& attachment, const std::string& text) {
    if (attachment.replaying_)
        attachment.held_.push_back(text);
    else
        attachment.connection->sendText(text);
}

void Conversation::trimTailLocked() {
    if (services_.store) {
        const store::Ticket committed = services_.store->committedTicket();
        while (!tail_.empty() && tail_.front().ticket <= committed) popTailLocked();
        while (!unstored_.empty() && unstored_.front().ticket <= committed) {
            unstoredBytes_ -= unstored_.front().bytes;
            unstored_.pop_front();
        }
    }
    while (tail_.size() > kMaxTailFrames) popTailLocked();
    // Without a store the tail is all a resume has: the newest frames, bounded in bytes too.
    while (!services_.store && tailBytes_ > maxTailBytesLocked()) popTailLocked();
}

void Conversation::saveRunningTurnLocked(int turn, const std::string& user,
                                         const std::string& assistant,
                                         const std::optional<protocol::Usage>& usage,
                                         std::int64_t startedAtMs, bool withNextFrame) {
    if (!services_.store || deleted_) return;
    store::TurnRecord record = turnRecord(turn, user, assistant, usage, startedAtMs);
    record.status = store::TurnStatus::Running;
    record.seqReserved = seqReserved_;
    if (withNextFrame)
        recordForNextFrame_ = std::move(record);
    else
        storeTurnLocked(std::move(record));
}

void Conversation::saveEndedTurnLocked(int turn, const std::string& user,
                                       const std::string& assistant, std::int64_t startedAtMs,
                                       TurnEnd end) {
    agenthost::log::logTurn(turnAccess(*identity_, turn, user, end.status, end.usage, end.errorCode,
                                       startedAtMs,
                                       firstChunk_.turn == turn ? firstChunk_.atMs : 0));
    if (!services_.store || deleted_) return;
    store::TurnRecord record = turnRecord(turn, user, assistant, end.usage, startedAtMs);
    record.status = end.status;
    record.pluginData = std::move(end.turnData);
    record.errorCode = std::move(end.errorCode);
    record.errorMessage = std::move(end.errorMessage);
    record.stopReason = std::move(end.stopReason);
    record.finishedAt = util::epochMillis();
    record.seqReserved = seqReserved_;
    recordForNextFrame_ = std::move(record);
}

void Conversation::saveHeldTurnLocked() {
    if (recordForNextFrame_) storeTurnLocked(*std::exchange(recordForNextFrame_, std::nullopt));
}

void Conversation::storeTurnLocked(store::TurnRecord record) {
    const std::size_t bytes = unstoredBytes(record);
    noteUnstoredLocked(services_.store->saveTurn(storeRef_, std::move(record)), bytes);
}

void Conversation::drainPacedLocked() {
    const auto delay = std::chrono::milliseconds(runtime_->streaming.chunkDelayMs);
    while (!paced_.empty()) {
        const auto now = net::Clock::now();
        if (now < nextPacedSend_) {
            pacingScheduled_ = true;
            const auto wait =
                std::chrono::duration_cast<std::chrono::microseconds>(nextPacedSend_ - now);
            std::weak_ptr<Conversation> weak = weak_from_this();
            util::scheduleAfter(*services_.timer, wait, [weak] {
                auto self = weak.lock();
                if (!self) return;
                std::shared_ptr<Conversation> release;
                std::lock_guard<std::mutex> lock(self->mutex_);
                self->pacingScheduled_ = false;
                self->drainPacedLocked();
                self->releaseIfIdleLocked(release);
            });
            return;
        }
        auto& next = paced_.front();
        pacedBytes_ -= next.frame.size();
        publishLocked(std::move(next.frame), next.turn, next.kind, next.event);
        paced_.pop_front();
        nextPacedSend_ = now + delay;
    }
}

}  // namespace agenthost::conversation
