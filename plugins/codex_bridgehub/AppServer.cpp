#include "AppServer.h"

#include <algorithm>
#include <thread>

namespace codex_bridgehub {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kFirstBackoff{250};
constexpr milliseconds kMaxBackoff{8000};
constexpr int kOverloadRetries = 5;
constexpr milliseconds kOverloadFirstWait{100};

// `codex app-server ARGS...`: Codex's global options (-c key=value, --enable, ...) are taken
// after the subcommand too.
SpawnOptions appServerSpawn(const BridgeSettings& settings) {
    SpawnOptions options;
    options.argv = {settings.command, "app-server"};
    options.argv.insert(options.argv.end(), settings.args.begin(), settings.args.end());
    options.extraEnv = settings.env;
    options.workdir = settings.workdir;
    return options;
}

Object::Ptr initializeParams() {
    Object::Ptr clientInfo = new Object;
    clientInfo->set("name", "agenthost");
    clientInfo->set("title", "agenthost");
    clientInfo->set("version", "1.0.0");
    Object::Ptr params = new Object;
    params->set("clientInfo", clientInfo);
    return params;
}

}  // namespace

AppServer::AppServer(const BridgeSettings& settings, agenthost::Logger log)
    : settings_(settings), log_(log) {}

std::shared_ptr<AppServerConnection> AppServer::connection(const std::function<bool()>& cancelled) {
    std::lock_guard<std::mutex> starting(startMutex_);
    std::shared_ptr<AppServerConnection> dead;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (current_ && !current_->closed()) return current_;
        dead = std::move(current_);
    }
    if (dead) {  // it died since the last look
        noteFailure(dead->closeReason());
        log_.warning("the Codex app-server exited (" + dead->closeReason() +
                     "); starting it again");
    }
    for (;;) {  // wait out the backoff after a failure, still hearing a cancel
        Clock::time_point startAt;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            startAt = failuresInARow_ == 0 ? Clock::now() : lastFailure_ + backoff();
        }
        if (Clock::now() >= startAt) break;
        if (cancelled()) return nullptr;
        std::this_thread::sleep_for(
            std::min<Clock::duration>(startAt - Clock::now(), milliseconds(50)));
    }
    return start();
}

std::shared_ptr<AppServerConnection> AppServer::start() {
    std::shared_ptr<AppServerConnection> connection;
    try {
        connection = std::make_shared<AppServerConnection>(appServerSpawn(settings_),
                                                           settings_.killGrace, log_);
    } catch (const SpawnError& e) {
        noteFailure(e.what());
        throw AppServerError(e.what());
    }
    const RpcReply reply =
        connection->call("initialize", initializeParams(),
                         std::chrono::duration_cast<milliseconds>(settings_.startupTimeout));
    if (!reply.ok()) {
        std::string why;
        if (reply.errorCode == kRpcTimeout)
            why = "did not answer initialize within " +
                  std::to_string(settings_.startupTimeout.count()) + " s";
        else if (reply.errorCode == kRpcClosed)  // e.g. refused its arguments
            why = "exited before it answered initialize (" + connection->closeReason() + ")";
        else
            why = "refused initialize: " + reply.errorMessage;
        connection->kill();
        connection.reset();  // joins its reader: the child is gone
        noteFailure("the Codex app-server " + why);
        throw AppServerError("the Codex app-server " + why);
    }
    connection->notify("initialized");
    std::lock_guard<std::mutex> lock(mutex_);
    startProblem_.reset();
    current_ = connection;
    return connection;
}

void AppServer::noteFailure(const std::string& why) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++failuresInARow_;
    lastFailure_ = Clock::now();
    startProblem_ = why;
}

milliseconds AppServer::backoff() const {
    milliseconds wait = kFirstBackoff;
    for (int i = 1; i < failuresInARow_ && wait < kMaxBackoff; ++i) wait *= 2;
    return std::min(wait, kMaxBackoff);
}

std::optional<std::string> AppServer::problem() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (current_ && current_->closed())
        return "the Codex app-server exited (" + current_->closeReason() +
               "); it is started again with the next message";
    if (!current_ && startProblem_) return *startProblem_;
    return std::nullopt;
}

std::unique_ptr<AppServer::ConversationHold> AppServer::holdConversation(
    const std::string& conversationId, const std::function<bool()>& cancelled) {
    std::shared_ptr<std::mutex> mutex;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto it = conversations_.begin(); it != conversations_.end();)
            it = it->second.expired() ? conversations_.erase(it) : std::next(it);
        mutex = conversations_[conversationId].lock();
        if (!mutex) {
            mutex = std::make_shared<std::mutex>();
            conversations_[conversationId] = mutex;
        }
    }
    while (!mutex->try_lock()) {
        if (cancelled()) return nullptr;
        std::this_thread::sleep_for(milliseconds(10));
    }
    return std::make_unique<ConversationHold>(std::move(mutex));
}

void AppServer::turnSucceeded() {
    std::lock_guard<std::mutex> lock(mutex_);
    failuresInARow_ = 0;
}

RpcReply AppServer::callRetrying(AppServerConnection& connection, const std::string& method,
                                 const Object::Ptr& params, milliseconds timeout) {
    milliseconds wait = kOverloadFirstWait;
    for (int attempt = 0;; ++attempt) {
        RpcReply reply = connection.call(method, params, timeout);
        if (reply.errorCode != kRpcOverloaded || attempt == kOverloadRetries) return reply;
        std::this_thread::sleep_for(wait);
        wait *= 2;
    }
}

}  // namespace codex_bridgehub
