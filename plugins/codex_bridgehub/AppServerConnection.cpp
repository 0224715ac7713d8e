#include "AppServerConnection.h"

#include <Poco/JSON/Parser.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "JsonFields.h"
#include "OutputDecoder.h"

namespace codex_bridgehub {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kPollMs = 50;                // bounds how late a stop or kill is noticed
constexpr milliseconds kWriteLimit{5000};  // a child that reads nothing for this long is stuck
constexpr milliseconds kExitWait{500};  // after its stdin closed, for the child to leave by itself

Object::Ptr parseObject(std::string_view line) {
    try {
        Poco::JSON::Parser parser;
        return parser.parse(std::string(line)).extract<Object::Ptr>();
    } catch (const std::exception&) {
        return nullptr;
    }
}

}  // namespace

AppServerConnection::AppServerConnection(const SpawnOptions& options,
                                         std::chrono::milliseconds killGrace, agenthost::Logger log)
    : child_(options), killGrace_(killGrace), log_(log) {
    reader_ = std::thread([this] { readLoop(); });
}

AppServerConnection::~AppServerConnection() {
    stopping_ = true;
    if (reader_.joinable()) reader_.join();
}

// --- the reader thread -------------------------------------------------------------------------

void AppServerConnection::readLoop() {
    std::optional<Clock::time_point> stdinClosedAt;
    for (;;) {
        if (killing_) {
            child_.terminateGroup(milliseconds(0));
            break;
        }
        if (stopping_ && !stdinClosedAt) {
            std::lock_guard<std::mutex> lock(writeMutex_);
            child_.closeStdin();  // Codex leaves when its input ends
            stdinClosedAt = Clock::now();
        }
        if (stdinClosedAt && Clock::now() - *stdinClosedAt >= kExitWait) {
            child_.terminateGroup(killGrace_);
            break;
        }
        if (!pumpOnce()) {  // stdout reached its end: the child is gone or going
            child_.terminateGroup(killGrace_);
            break;
        }
    }
    finish();
}

// One poll of stdout and stderr. False once stdout reached end of file.
bool AppServerConnection::pumpOnce() {
    std::array<pollfd, 2> fds{{{child_.stdoutFd(), POLLIN, 0}, {child_.stderrFd(), POLLIN, 0}}};
    const nfds_t count = child_.stderrFd() >= 0 ? 2 : 1;
    if (::poll(fds.data(), count, kPollMs) <= 0) return true;
    std::array<char, 65536> buffer;
    if (count == 2 && fds[1].revents != 0) {
        const ssize_t n = ::read(child_.stderrFd(), buffer.data(), buffer.size());
        if (n > 0)
            stderr_.append(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
        else if (n == 0 || errno != EAGAIN)
            child_.closeStderr();
    }
    if (fds[0].revents == 0) return true;
    const ssize_t n = ::read(child_.stdoutFd(), buffer.data(), buffer.size());
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    if (n <= 0) return false;
    lines_.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)),
                [this](std::string_view line) { onLine(line); });
    return true;
}

void AppServerConnection::onLine(std::string_view line) {
    const Object::Ptr message = parseObject(repairUtf8(line));
    if (!message) {  // not JSON-RPC: a stray print of the child; nothing to act on
        log_.debug("codex app-server printed a line that is not JSON; ignored");
        return;
    }
    if (message->has("method"))
        deliver(message);
    else if (message->has("id"))
        onReply(message);
}

void AppServerConnection::onReply(const Object::Ptr& message) {
    const auto id = json::intField(message, "id");
    if (!id) return;
    RpcReply reply;
    if (const auto error = message->getObject("error")) {
        reply.errorCode = static_cast<int>(json::intField(error, "code").value_or(0));
        reply.errorMessage = json::stringField(error, "message");
    } else {
        reply.result = message->getObject("result");
        if (!reply.result) reply.result = new Object;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = pending_.find(*id);
    if (it == pending_.end()) return;  // a post()ed request, or one whose caller gave up
    it->second = std::move(reply);
    replied_.notify_all();
}

// Notifications and server requests go to the listener of their thread. A server request
// nobody listens for is answered with an error, so that Codex does not wait for it forever.
void AppServerConnection::deliver(const Object::Ptr& message) {
    const Object::Ptr params = message->getObject("params");
    const std::string threadId = json::stringField(params, "threadId");
    std::shared_ptr<ThreadListener> listener;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = listeners_.find(threadId);
        if (it != listeners_.end()) listener = it->second;
    }
    if (listener)
        listener->onMessage(message);
    else if (message->has("id"))
        replyError(message->get("id"), kRpcMethodNotFound, "no turn is waiting for this request");
}

// The child is gone: every waiting caller and every listener hears why.
void AppServerConnection::finish() {
    std::string why = child_.status() ? child_.status()->describe() : "stopped";
    if (killing_) why = "stopped because a turn did not end after turn/interrupt";
    const std::string tail = stderr_.lines();
    if (!tail.empty()) why += "; the end of its stderr:\n" + tail;
    std::map<std::string, std::shared_ptr<ThreadListener>> listeners;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        closed_ = true;
        closeReason_ = why;
        for (auto& [id, reply] : pending_)
            if (!reply) reply = RpcReply{nullptr, kRpcClosed, "the Codex app-server exited"};
        listeners.swap(listeners_);
        replied_.notify_all();
    }
    for (auto& [thread, listener] : listeners) listener->onClosed(why);
}

// --- callers ---------------------------------------------------------------------------------

std::string AppServerConnection::request(std::int64_t id, const std::string& method,
                                         const Object::Ptr& params) {
    Object message(Poco::JSON_PRESERVE_KEY_ORDER);
    message.set("id", id);
    message.set("method", method);
    message.set("params", params ? params : Object::Ptr(new Object));
    return json::toJson(message);
}

RpcReply AppServerConnection::call(const std::string& method, const Object::Ptr& params,
                                   std::chrono::milliseconds timeout) {
    const std::int64_t id = nextId();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (closed_) return RpcReply{nullptr, kRpcClosed, "the Codex app-server exited"};
        pending_[id];
    }
    writeLine(request(id, method, params));
    std::unique_lock<std::mutex> lock(mutex_);
    const bool answered =
        replied_.wait_for(lock, timeout, [&] { return pending_[id].has_value(); });
    RpcReply reply = answered ? std::move(*pending_[id])
                              : RpcReply{nullptr, kRpcTimeout, method + " got no answer in time"};
    pending_.erase(id);
    return reply;
}

void AppServerConnection::post(const std::string& method, const Object::Ptr& params) {
    writeLine(request(nextId(), method, params));
}

void AppServerConnection::notify(const std::string& method) {
    writeLine("{\"method\":\"" + method + "\"}");
}

void AppServerConnection::reply(const Poco::Dynamic::Var& id, const Object::Ptr& result) {
    Object message(Poco::JSON_PRESERVE_KEY_ORDER);
    message.set("id", id);
    message.set("result", result);
    writeLine(json::toJson(message));
}

void AppServerConnection::replyError(const Poco::Dynamic::Var& id, int code,
                                     const std::string& text) {
    Object error(Poco::JSON_PRESERVE_KEY_ORDER);
    error.set("code", code);
    error.set("message", text);
    Object message(Poco::JSON_PRESERVE_KEY_ORDER);
    message.set("id", id);
    message.set("error", error);
    writeLine(json::toJson(message));
}

// Writes one line, waiting while the pipe is full. A child that stopped reading is not waited
// for long: what it misses, its end will report.
void AppServerConnection::writeLine(const std::string& line) {
    const std::string data = line + "\n";
    std::lock_guard<std::mutex> lock(writeMutex_);
    const auto deadline = Clock::now() + kWriteLimit;
    std::size_t written = 0;
    while (written < data.size() && child_.stdinFd() >= 0 && Clock::now() < deadline) {
        const ssize_t n = ::write(child_.stdinFd(), data.data() + written, data.size() - written);
        if (n > 0) {
            written += static_cast<std::size_t>(n);
        } else if (n < 0 && errno == EAGAIN) {
            pollfd out{child_.stdinFd(), POLLOUT, 0};
            ::poll(&out, 1, kPollMs);
        } else if (!(n < 0 && errno == EINTR)) {
            return;  // EPIPE: the child is gone; the reader reports it
        }
    }
}

void AppServerConnection::subscribe(const std::string& threadId,
                                    std::shared_ptr<ThreadListener> listener) {
    bool closed = false;
    std::string why;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        closed = closed_;
        why = closeReason_;
        if (!closed) listeners_[threadId] = listener;
    }
    if (closed) listener->onClosed(why);
}

void AppServerConnection::unsubscribe(const std::string& threadId, const ThreadListener* listener) {
    std::shared_ptr<ThreadListener> dropped;  // released after the lock
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = listeners_.find(threadId);
    if (it == listeners_.end() || it->second.get() != listener) return;
    dropped = std::move(it->second);
    listeners_.erase(it);
}

bool AppServerConnection::hasLoaded(const std::string& threadId) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return loaded_.count(threadId) != 0;
}

void AppServerConnection::markLoaded(const std::string& threadId) {
    std::lock_guard<std::mutex> lock(mutex_);
    loaded_.insert(threadId);
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> AppServerConnection::usageTotal(
    const std::string& threadId) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = totals_.find(threadId);
    if (it == totals_.end()) return std::nullopt;
    return it->second;
}

void AppServerConnection::setUsageTotal(const std::string& threadId,
                                        std::pair<std::uint64_t, std::uint64_t> total) {
    std::lock_guard<std::mutex> lock(mutex_);
    totals_[threadId] = total;
}

bool AppServerConnection::closed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return closed_;
}

std::string AppServerConnection::closeReason() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return closeReason_;
}

void AppServerConnection::kill() {
    killing_ = true;
}

}  // namespace codex_bridgehub
