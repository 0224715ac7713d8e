#include "AppServerTurn.h"

#include <Poco/JSON/Array.h>

#include <condition_variable>
#include <deque>
#include <mutex>

#include "AppServerItems.h"
#include "CodexItems.h"
#include "Invocation.h"
#include "JsonFields.h"

namespace codex_bridgehub {

using Clock = std::chrono::steady_clock;
using json::stringField;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kWaitStep{50};  // bounds how late a cancel is noticed
// After turn/interrupt, how long Codex has to end the turn before its app-server is stopped;
// the whole turn ends within a second of the cancel either way.
constexpr milliseconds kInterruptGrace{800};

std::uint64_t count(const Object::Ptr& usage, const std::string& key) {
    const auto value = json::intField(usage, key);
    return value && *value > 0 ? static_cast<std::uint64_t>(*value) : 0;
}

std::pair<std::uint64_t, std::uint64_t> tokens(const Object::Ptr& usage) {
    return {count(usage, "inputTokens"), count(usage, "outputTokens")};
}

std::uint64_t minus(std::uint64_t a, std::uint64_t b) {
    return a > b ? a - b : 0;
}

}  // namespace

// What the reader thread hands to the turn: messages of its thread, the client's approval
// answers, and the news that the app-server went away.
class TurnInbox final : public ThreadListener {
  public:
    struct Answer {
        Poco::Dynamic::Var id;
        agenthost::Decision decision;
    };

    void onMessage(const Object::Ptr& message) override {
        std::lock_guard<std::mutex> lock(mutex_);
        messages_.push_back(message);
        changed_.notify_all();
    }
    void onClosed(const std::string& why) override {
        std::lock_guard<std::mutex> lock(mutex_);
        closed_ = why;
        changed_.notify_all();
    }
    void answer(Answer answer) {
        std::lock_guard<std::mutex> lock(mutex_);
        answers_.push_back(std::move(answer));
        changed_.notify_all();
    }

    // Waits up to `wait` for news, then hands over what there is.
    void take(milliseconds wait, std::deque<Object::Ptr>& messages, std::deque<Answer>& answers,
              std::optional<std::string>& closed) {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait_for(lock, wait,
                          [&] { return !messages_.empty() || !answers_.empty() || closed_; });
        messages.swap(messages_);
        answers.swap(answers_);
        closed = closed_;
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Object::Ptr> messages_;
    std::deque<Answer> answers_;
    std::optional<std::string> closed_;
};

AppServerTurn::AppServerTurn(AppServer& server, const BridgeSettings& settings,
                             const agenthost::Request& request, agenthost::Response& response)
    : server_(server),
      settings_(settings),
      request_(request),
      response_(response),
      inbox_(std::make_shared<TurnInbox>()) {}

AppServerTurn::~AppServerTurn() {
    if (connection_ && !threadId_.empty()) connection_->unsubscribe(threadId_, inbox_.get());
}

void AppServerTurn::run() {
    // (A request without a conversation is one on its own.)
    const std::string conversation = request_.conversationId.empty()
                                         ? "request-" + std::to_string(request_.id)
                                         : request_.conversationId;
    const auto hold =
        server_.holdConversation(conversation, [this] { return response_.cancelled(); });
    if (!hold) return;  // cancelled while the conversation's previous turn was still ending
    runHeld();
    if (connection_ && !threadId_.empty()) connection_->unsubscribe(threadId_, inbox_.get());
}

void AppServerTurn::runHeld() {
    try {
        connection_ = server_.connection([this] { return response_.cancelled(); });
    } catch (const AppServerError& e) {
        response_.fail("upstream_error", e.what());
        return;
    }
    if (!connection_) return;  // cancelled while waiting for a restart
    threadId_ = openThread();
    if (threadId_.empty()) return;
    connection_->subscribe(threadId_, inbox_);
    response_.sessionState(threadId_);  // the next message continues this thread
    baseline_ = connection_->usageTotal(threadId_);
    if (!startTurn()) return;
    followTurn();
    endTurn();
}

// The conversation's Codex thread: the stored one (resumed if this app-server has not loaded
// it yet), or a new one. Empty after failing the response.
std::string AppServerTurn::openThread() {
    const milliseconds timeout = std::chrono::duration_cast<milliseconds>(settings_.startupTimeout);
    const std::string stored = request_.sessionState;
    if (isThreadId(stored)) {
        if (connection_->hasLoaded(stored)) return stored;
        Object::Ptr params = new Object;
        params->set("threadId", stored);
        params->set("excludeTurns", true);
        const RpcReply reply =
            AppServer::callRetrying(*connection_, "thread/resume", params, timeout);
        if (reply.ok()) {
            connection_->markLoaded(stored);
            return stored;
        }
        response_.log().warning("Codex could not resume thread " + stored + " (" +
                                reply.errorMessage + "); starting a new one");
    }
    Object::Ptr params = new Object;
    if (!settings_.workdir.empty()) params->set("cwd", settings_.workdir);
    const RpcReply reply = AppServer::callRetrying(*connection_, "thread/start", params, timeout);
    const std::string id = reply.ok() ? stringField(reply.result->getObject("thread"), "id") : "";
    if (id.empty()) {
        response_.fail("upstream_error", "Codex could not start a thread: " +
                                             (reply.ok() ? "no thread id" : reply.errorMessage));
        return "";
    }
    connection_->markLoaded(id);
    return id;
}

bool AppServerTurn::startTurn() {
    Object::Ptr input = new Object;
    input->set("type", "text");
    input->set("text", request_.message);
    Poco::JSON::Array::Ptr inputs = new Poco::JSON::Array;
    inputs->add(input);
    Object::Ptr params = new Object;
    params->set("threadId", threadId_);
    params->set("input", inputs);
    const RpcReply reply =
        AppServer::callRetrying(*connection_, "turn/start", params,
                                std::chrono::duration_cast<milliseconds>(settings_.startupTimeout));
    turnId_ = reply.ok() ? stringField(reply.result->getObject("turn"), "id") : "";
    if (!turnId_.empty()) return true;
    if (!response_.cancelled())
        response_.fail("upstream_error", "Codex could not start the turn: " +
                                             (reply.ok() ? "no turn id" : reply.errorMessage));
    return false;
}

// Handles what arrives until the turn is over. A cancel, a client that left or the route's
// timeout interrupt the turn; a turn that does not end soon after costs the app-server its life
// (it is started again with the next message).
void AppServerTurn::followTurn() {
    const auto deadline = Clock::now() + settings_.timeout;
    std::optional<Clock::time_point> interruptedAt;
    while (outcome_ == Outcome::Running) {
        std::deque<Object::Ptr> messages;
        std::deque<TurnInbox::Answer> answers;
        std::optional<std::string> closed;
        inbox_->take(kWaitStep, messages, answers, closed);
        for (const auto& message : messages) {
            handle(message);
            if (outcome_ != Outcome::Running) return;
        }
        for (const auto& answer : answers) answerApproval(answer.id, answer.decision);
        if (closed) {
            closeReason_ = *closed;
            outcome_ = Outcome::Closed;
            return;
        }
        if (!interruptSent_ && Clock::now() >= deadline) timedOut_ = true;
        if (!interruptSent_ && (stopWanted() || timedOut_)) {
            interrupt();
            interruptedAt = Clock::now();
        }
        if (interruptedAt && Clock::now() - *interruptedAt >= kInterruptGrace) {
            response_.log().warning(
                "Codex did not end the turn after turn/interrupt; stopping "
                "its app-server");
            connection_->kill();
            outcome_ = Outcome::Interrupted;
        }
    }
}

bool AppServerTurn::stopWanted() const {
    return response_.cancelled() || emits_.stopStatus().has_value();
}

void AppServerTurn::interrupt() {
    interruptSent_ = true;
    Object::Ptr params = new Object;
    params->set("threadId", threadId_);
    params->set("turnId", turnId_);
    connection_->post("turn/interrupt", params);
}

void AppServerTurn::endTurn() {
    if (total_) connection_->setUsageTotal(threadId_, *total_);
    if (timedOut_) {
        response_.fail("timeout", "Codex did not finish the turn within " +
                                      std::to_string(settings_.timeout.count()) +
                                      " s; it was interrupted");
        return;
    }
    if (emits_.stopStatus() == agenthost::Emit::Stopping) {
        response_.fail("plugin_unavailable",
                       "agenthost is stopping or reloading its configuration; send the message "
                       "again.");
        return;
    }
    if (response_.cancelled() || emits_.stopStatus())
        return;  // the host answered, or nobody listens
    switch (outcome_) {
        case Outcome::Completed:
            server_.turnSucceeded();
            if (total_) {
                const auto before = baseline_.value_or(std::make_pair(0, 0));
                response_.usage(minus(total_->first, before.first),
                                minus(total_->second, before.second));
            }
            return;  // returning completes the response
        case Outcome::Failed:
            response_.fail("upstream_error", "Codex: " + failure_);
            return;
        case Outcome::Closed:
            response_.fail("upstream_error", "the Codex app-server stopped during the turn (" +
                                                 closeReason_ +
                                                 "); it is started again with the next message");
            return;
        case Outcome::Interrupted:
        case Outcome::Running:
            response_.fail("upstream_error", "Codex interrupted the turn");
            return;
    }
}

// --- what Codex says -------------------------------------------------------------------------

void AppServerTurn::handle(const Object::Ptr& message) {
    const std::string method = stringField(message, "method");
    const Object::Ptr params = message->getObject("params");
    if (message->has("id")) {  // a server request: Codex waits for our answer
        if (method == "item/commandExecution/requestApproval" ||
            method == "item/fileChange/requestApproval")
            askApproval(method, message);
        else
            connection_->replyError(message->get("id"), kRpcMethodNotFound,
                                    "agenthost does not support " + method);
        return;
    }
    // Stale news of an earlier turn of this thread (one that was interrupted) is not ours.
    const std::string turn = stringField(params, "turnId");
    if (!turn.empty() && turn != turnId_) return;
    handleNotification(method, params);
}

void AppServerTurn::handleNotification(const std::string& method, const Object::Ptr& params) {
    if (method == "item/agentMessage/delta") {
        const std::string item = stringField(params, "itemId");
        streamedItems_.insert(item);
        showText(item, stringField(params, "delta"));
    } else if (method == "item/reasoning/summaryTextDelta") {
        const std::string item = stringField(params, "itemId");
        streamedItems_.insert(item);
        const auto index = json::intField(params, "summaryIndex").value_or(0);
        think(item + "#" + std::to_string(index), stringField(params, "delta"));
    } else if (method == "item/started" || method == "item/completed") {
        handleItem(method == "item/completed", params ? params->getObject("item") : nullptr);
    } else if (method == "thread/tokenUsage/updated") {
        handleUsage(params);
    } else if (method == "error") {
        if (!json::boolField(params, "willRetry"))
            failure_ = stringField(params ? params->getObject("error") : nullptr, "message");
    } else if (method == "turn/completed") {
        handleTurnCompleted(params);
    }
    // Every other notification (status changes, warnings, plans, ...) is not shown.
}

void AppServerTurn::handleItem(bool completed, const Object::Ptr& item) {
    const Object::Ptr execItem = execItemOf(item);
    if (!execItem) return;
    const std::string id = stringField(execItem, "id");
    const std::string type = stringField(execItem, "type");
    if (type == "agent_message" || type == "reasoning") {
        // Shown as they streamed; whole only when no delta came (an older or quieter Codex).
        if (!completed || streamedItems_.count(id)) return;
        const std::string text = stringField(execItem, "text");
        if (text.empty()) return;
        type == "agent_message" ? showText(id, text) : think(id, text);
        return;
    }
    const CodexEvent event =
        itemEvent(completed ? ItemPhase::Completed : ItemPhase::Started, execItem);
    if (event.kind == CodexEvent::Kind::Event) report(event.event);
}

// The thread's totals; the turn's usage is their growth over the turn. A thread resumed on a
// new app-server has no known earlier totals: the first report's total less its last request
// is where the turn started.
void AppServerTurn::handleUsage(const Object::Ptr& params) {
    const Object::Ptr usage = params ? params->getObject("tokenUsage") : nullptr;
    if (!usage) return;
    total_ = tokens(usage->getObject("total"));
    if (!baseline_) {
        const auto last = tokens(usage->getObject("last"));
        baseline_ =
            std::make_pair(minus(total_->first, last.first), minus(total_->second, last.second));
    }
}

void AppServerTurn::handleTurnCompleted(const Object::Ptr& params) {
    const Object::Ptr turn = params ? params->getObject("turn") : nullptr;
    const std::string status = stringField(turn, "status");
    if (status == "completed") {
        outcome_ = Outcome::Completed;
    } else if (status == "interrupted") {
        outcome_ = Outcome::Interrupted;
    } else {
        outcome_ = Outcome::Failed;
        const std::string message =
            stringField(turn ? turn->getObject("error") : nullptr, "message");
        if (!message.empty()) failure_ = message;
        if (failure_.empty()) failure_ = "the turn failed";
    }
}

// --- approvals -------------------------------------------------------------------------------

// Codex asks before it runs a command or changes files. A protocol 2 client decides; otherwise
// the route's approval_policy does (decline unless configured otherwise).
void AppServerTurn::askApproval(const std::string& method, const Object::Ptr& message) {
    const Poco::Dynamic::Var id = message->get("id");
    const Object::Ptr params = message->getObject("params");
    const bool isCommand = method == "item/commandExecution/requestApproval";
    Object detail(Poco::JSON_PRESERVE_KEY_ORDER);
    detail.set("item_id", stringField(params, "itemId"));
    std::string question;
    if (isCommand) {
        const std::string command = stringField(params, "command");
        detail.set("command", command);
        detail.set("cwd", stringField(params, "cwd"));
        question = "Codex wants to run: " + command;
    } else {
        question = "Codex wants to change files";
    }
    const std::string reason = stringField(params, "reason");
    if (!reason.empty()) {
        detail.set("reason", reason);
        question += " (" + reason + ")";
    }
    std::weak_ptr<TurnInbox> inbox = inbox_;
    const agenthost::Emit asked =
        response_.askApproval(isCommand ? "command" : "file_change", question, json::toJson(detail),
                              [inbox, id](agenthost::Decision decision) {
                                  if (const auto target = inbox.lock())
                                      target->answer({id, decision});
                              });
    if (asked == agenthost::Emit::Ok) return;  // the answer comes through the inbox
    note(asked);
    answerApproval(id, settings_.approvalPolicy == ApprovalPolicy::Accept
                           ? agenthost::Decision::Accept
                           : agenthost::Decision::Decline);
}

void AppServerTurn::answerApproval(const Poco::Dynamic::Var& id, agenthost::Decision decision) {
    Object::Ptr result = new Object;
    result->set("decision", decision == agenthost::Decision::Accept ? "accept" : "decline");
    connection_->reply(id, result);
}

// --- to the client ---------------------------------------------------------------------------

// Agent messages are paragraphs of one answer.
void AppServerTurn::showText(const std::string& itemId, const std::string& text) {
    if (text.empty()) return;
    if (shownAnything_ && itemId != lastTextItem_) note(response_.text("\n\n"));
    lastTextItem_ = itemId;
    shownAnything_ = true;
    note(response_.text(text));
}

// Reasoning summaries likewise, as paragraphs of one thinking text.
void AppServerTurn::think(const std::string& key, const std::string& text) {
    if (text.empty()) return;
    const bool newParagraph = !lastThinkingKey_.empty() && key != lastThinkingKey_;
    lastThinkingKey_ = key;
    note(response_.thinking(newParagraph ? "\n\n" + text : text));
}

// As in exec mode: where no protocol 2 client sees the event, what protocol 1 clients were
// always shown of it stays in the answer text.
void AppServerTurn::report(const AgentEvent& event) {
    const agenthost::Emit emitted = note(response_.event(event.kind, event.content, event.data));
    const bool seen = request_.canAskApproval && emitted == agenthost::Emit::Ok;
    if (!seen && !event.protocol1Text.empty())
        showText("protocol1:" + event.content, event.protocol1Text);
}

}  // namespace codex_bridgehub
