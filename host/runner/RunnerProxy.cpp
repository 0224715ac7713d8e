#include "runner/RunnerProxy.h"

#include <Poco/Logger.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "plugin/HostApi.h"
#include "plugin/PluginLibrary.h"
#include "protocol/Frames.h"

namespace agenthost::runner {
namespace {

using namespace std::chrono_literals;

constexpr const char* kCrashed = "plugin_crashed";
constexpr const char* kUnresponsive = "plugin_unresponsive";

constexpr auto kHealthInterval = 1s;     // how often the runner is asked for its health
constexpr auto kMemoryInterval = 100ms;  // how often its resident memory is read
constexpr auto kStartupGrace = 10s;      // for exec, loading and instance_new, on top
constexpr auto kDegradedFor = 60s;       // how long a route reports its runner's last end
constexpr auto kStopTimeout = 5s;        // for instance_destroy at reload or shutdown
constexpr auto kStableAfter = 30s;       // a runner up this long resets the backoff
constexpr auto kLongestBackoff = 10s;
constexpr auto kPaceInterval = 5ms;  // how often slowed requests are looked at

Poco::Logger& logger() {
    return Poco::Logger::get("agenthost.runner");
}

// Restarting at once after a single crash, then 100 ms, 200 ms, ... while it keeps failing.
std::chrono::milliseconds backoffAfter(int failuresInARow) {
    if (failuresInARow <= 1) return 0ms;
    const int doublings = std::min(failuresInARow - 2, 16);
    return std::min<std::chrono::milliseconds>(100ms * (1 << doublings), kLongestBackoff);
}

const char* callName(FrameType reply) {
    switch (reply) {
        case FrameType::Hello:
            return "instance_new";
        case FrameType::Started:
            return "request_start";
        default:
            return "instance_health";
    }
}

// Emit statuses that mean the request is over for good, which the runner should repeat.
bool ends(std::uint32_t status) {
    return status == AGENTHOST_EMIT_CANCELLED || status == AGENTHOST_EMIT_CLIENT_GONE ||
           status == AGENTHOST_EMIT_STOPPING;
}

}  // namespace

RunnerProxy::RunnerProxy(const config::RouteSettings& route, plugin::PluginMetrics& metrics)
    : route_(route), metrics_(metrics), timeout_(route.isolation.timeoutS) {
    wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wakeFd_ < 0) throw plugin::LoadError("cannot start the plugin runner: eventfd failed");
    // Spawned from its own thread: PR_SET_PDEATHSIG follows the thread that forked.
    thread_ = std::thread([this] { run(); });
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return everUp_ || !failure_.empty(); });
    if (everUp_) return;
    const std::string failure = failure_;
    lock.unlock();
    thread_.join();
    ::close(wakeFd_);
    throw plugin::LoadError(failure);
}

RunnerProxy::~RunnerProxy() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
        stopDeadline_ = Clock::now() + kStopTimeout;
        if (process_.fd >= 0) {
            FrameWriter stop(FrameType::Stop);
            queueLocked(stop);
        }
        changed_.notify_all();
    }
    wake();
    if (thread_.get_id() == std::this_thread::get_id())
        thread_.detach();  // never expected: the reaper destroys instances
    else if (thread_.joinable())
        thread_.join();
    ::close(wakeFd_);
}

pid_t RunnerProxy::pid() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return process_.pid;
}

// ---- host threads

agenthost_request_plugin_ptr RunnerProxy::start(const agenthost_request& request,
                                                agenthost_request_host_ptr handle) {
    auto entry = std::make_unique<Request>();
    entry->id = request.request_id;
    entry->handle = handle;
    FrameWriter frame(FrameType::Start);
    frame.u64(request.request_id).u32(request.flags).u32(request.turn).u64(request.timeout_ms);
    auto text = [](agenthost_str s) { return std::string_view(s.data, s.size); };
    frame.str(text(request.route)).str(text(request.conversation_id)).str(text(request.key_name));
    frame.str(text(request.message)).str(text(request.session_state));
    frame.u32(static_cast<std::uint32_t>(request.history_count));
    // history_turn_data is ABI 2.1: the host's own request always has it, possibly null.
    const agenthost_str* turnData = request.history_turn_data;
    for (std::size_t i = 0; i < request.history_count; ++i) {
        frame.str(text(request.history[i].role)).str(text(request.history[i].content));
        frame.str(turnData ? text(turnData[i]) : std::string_view());
    }
    Request* context = entry.get();
    std::lock_guard<std::mutex> lock(mutex_);
    entry->epoch = epoch_;
    requests_[entry->id] = std::move(entry);
    queueLocked(frame, FrameType::Started);
    return context;
}

void RunnerProxy::cancel(agenthost_request_plugin_ptr context, std::uint32_t reason) {
    auto* request = static_cast<Request*>(context);
    std::lock_guard<std::mutex> lock(mutex_);
    if (request->finished || request->epoch != epoch_) return;
    FrameWriter frame(FrameType::Cancel);
    frame.u64(request->id).u32(reason);
    queueLocked(frame);
}

void RunnerProxy::release(agenthost_request_plugin_ptr context) {
    auto* request = static_cast<Request*>(context);
    std::lock_guard<std::mutex> lock(mutex_);
    if (request->epoch == epoch_) {  // its runner still runs: it frees the plugin's context
        FrameWriter frame(FrameType::Release);
        frame.u64(request->id);
        queueLocked(frame);
    }
    requests_.erase(request->id);
}

void RunnerProxy::approvalDecided(agenthost_request_plugin_ptr context, std::uint64_t cookie,
                                  std::uint32_t decision) {
    auto* request = static_cast<Request*>(context);
    std::lock_guard<std::mutex> lock(mutex_);
    if (request->finished || request->epoch != epoch_) return;
    FrameWriter frame(FrameType::Decision);
    frame.u64(request->id).u64(cookie).u32(decision);
    queueLocked(frame);
}

plugin::Health RunnerProxy::health() const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = Clock::now();
    if (!up_)
        return {AGENTHOST_HEALTH_DEGRADED,
                "the plugin's runner is restarting after: " + lastFailure_};
    if (restarts_ > 0 && now - lastFailureAt_ < kDegradedFor) {
        const auto ago = std::chrono::duration_cast<std::chrono::seconds>(now - lastFailureAt_);
        plugin::Health health{AGENTHOST_HEALTH_DEGRADED,
                              lastFailure_ + " (" + std::to_string(ago.count()) +
                                  " s ago; the runner restarted, " + std::to_string(restarts_) +
                                  " restart(s) so far)"};
        if (pluginHealth_.status == AGENTHOST_HEALTH_ERROR) health = pluginHealth_;
        return health;
    }
    return pluginHealth_;
}

void RunnerProxy::queueLocked(FrameWriter& frame, std::optional<FrameType> reply) {
    outbound_ += frame.finish();
    if (reply) awaiting_.push_back({*reply, Clock::now() + timeout_});
    if (process_.fd < 0) return;  // the next runner gets it
    flushLocked();
    if (!outbound_.empty()) wake();  // the I/O thread sends the rest when the socket takes it
}

void RunnerProxy::flushLocked() {
    std::size_t sent = 0;
    while (sent < outbound_.size()) {
        const ssize_t n = ::send(process_.fd, outbound_.data() + sent, outbound_.size() - sent,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        break;  // full (EAGAIN), or the runner is gone, which reading finds out
    }
    outbound_.erase(0, sent);
}

void RunnerProxy::wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wakeFd_, &one, sizeof one);
}

// ---- the I/O thread

void RunnerProxy::run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        if (spawnLocked(lock)) {
            lock.unlock();
            serve();
            lock.lock();
        }
        if (!everUp_) {  // the first runner failed: the constructor reports it
            if (failure_.empty()) failure_ = "the plugin's runner failed to start";
            changed_.notify_all();
            return;
        }
        changed_.wait_for(lock, backoffAfter(failuresInARow_), [&] { return stopping_; });
    }
    // Stopped while no runner ran: what waited for the next one ends here.
    std::vector<agenthost_request_host_ptr> lost;
    for (auto& [id, request] : requests_)
        if (!request->finished) {
            request->finished = true;
            lost.push_back(request->handle);
        }
    lock.unlock();
    for (auto* handle : lost)
        handle->onFinish(protocol::error_code::kPluginError, "the route's plugin stopped");
}

bool RunnerProxy::spawnLocked(std::unique_lock<std::mutex>& lock) {
    try {
        process_ = spawnRunner(route_.libraryPath);
    } catch (const std::exception& e) {
        lock.unlock();
        runnerEnded(e.what());
        lock.lock();
        return false;
    }
    FrameWriter init(FrameType::Init);
    init.str(route_.route);
    init.u64(static_cast<std::uint64_t>(route_.isolation.cpuS));
    init.u64(static_cast<std::uint64_t>(route_.isolation.openFiles));
    init.u32(static_cast<std::uint32_t>(route_.settings.size()));
    for (const auto& [key, value] : route_.settings) init.str(key).str(value);
    outbound_ = init.finish() + outbound_;  // before whatever waited for this runner
    const auto now = Clock::now();
    for (auto& awaited : awaiting_) awaited.deadline = now + kStartupGrace + timeout_;
    awaiting_.push_front({FrameType::Hello, now + kStartupGrace + timeout_});
    up_ = false;
    ending_.reset();
    in_ = FrameBuffer();
    metricIds_.clear();
    nextHealth_ = now + kHealthInterval;
    nextMemoryCheck_ = now;
    flushLocked();
    return true;
}

void RunnerProxy::serve() {
    bool ended = false;
    while (!ended) {
        short events = POLLIN;
        Clock::duration wait;
        int fd;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!outbound_.empty()) events |= POLLOUT;
            wait = waitTime(Clock::now());
            fd = process_.fd;
        }
        pollfd fds[2] = {{fd, events, 0}, {wakeFd_, POLLIN, 0}};
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wait).count();
        ::poll(fds, 2, static_cast<int>(std::max<long long>(ms, 1)));
        if (fds[1].revents & POLLIN) {
            std::uint64_t count;
            [[maybe_unused]] const auto n = ::read(wakeFd_, &count, sizeof count);
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) readAvailable(ended);
        if (fds[0].revents & POLLOUT) {
            std::lock_guard<std::mutex> lock(mutex_);
            flushLocked();
        }
        if (!ended) watch(Clock::now());
        if (!ended) pace(Clock::now());
    }
    runnerEnded(reapRunner(process_.pid));
}

RunnerProxy::Clock::duration RunnerProxy::waitTime(Clock::time_point now) const {
    Clock::time_point next = now + 1s;
    if (!awaiting_.empty()) next = std::min(next, awaiting_.front().deadline);
    if (up_) next = std::min(next, nextHealth_);
    if (route_.isolation.memoryMb > 0) next = std::min(next, nextMemoryCheck_);
    if (stopping_) next = std::min(next, stopDeadline_);
    if (anySlowedLocked()) next = std::min(next, nextPace_);
    return std::max<Clock::duration>(next - now, 0ms);
}

void RunnerProxy::readAvailable(bool& ended) {
    char buffer[64 * 1024];
    // A bounded amount per wake-up, so the watchdog runs even against a flood.
    for (int i = 0; i < 64; ++i) {
        const ssize_t n = ::read(process_.fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) {
            ended = true;
            break;
        }
        in_.append(buffer, static_cast<std::size_t>(n));
        while (auto frame = in_.next()) dispatch(*frame);
        if (in_.broken()) {
            std::lock_guard<std::mutex> lock(mutex_);
            killLocked(kCrashed, "the plugin's runner sent a malformed frame");
            break;
        }
    }
}

void RunnerProxy::watch(Clock::time_point now) {
    pid_t pid;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (ending_) return;
        if (stopping_ && now >= stopDeadline_) {
            killLocked(
                protocol::error_code::kPluginError,
                "the plugin did not stop within " + std::to_string(kStopTimeout.count()) + " s");
            return;
        }
        if (!awaiting_.empty() && now >= awaiting_.front().deadline) {
            killLocked(kUnresponsive, std::string("the plugin did not return from ") +
                                          callName(awaiting_.front().reply) + " within " +
                                          std::to_string(timeout_.count()) +
                                          " s (runner_timeout_s)");
            return;
        }
        if (up_ && !stopping_ && now >= nextHealth_) {
            nextHealth_ = now + kHealthInterval;
            const bool asked = std::any_of(awaiting_.begin(), awaiting_.end(), [](const auto& a) {
                return a.reply == FrameType::HealthAnswer;
            });
            if (!asked) {
                FrameWriter health(FrameType::Health);
                queueLocked(health, FrameType::HealthAnswer);
            }
        }
        if (route_.isolation.memoryMb <= 0 || now < nextMemoryCheck_) return;
        nextMemoryCheck_ = now + kMemoryInterval;
        pid = process_.pid;
    }
    const std::uint64_t limit = static_cast<std::uint64_t>(route_.isolation.memoryMb) << 20;
    const std::uint64_t resident = residentBytes(pid);
    if (resident <= limit) return;
    std::lock_guard<std::mutex> lock(mutex_);
    killLocked(kCrashed, "the plugin's runner used " + std::to_string(resident >> 20) +
                             " MB, more than runner_memory_mb = " +
                             std::to_string(route_.isolation.memoryMb));
}

void RunnerProxy::killLocked(std::string code, std::string reason) {
    if (ending_ || process_.pid <= 0) return;
    ending_ = Ending{std::move(code), std::move(reason)};
    ::kill(process_.pid, SIGKILL);
}

void RunnerProxy::runnerEnded(const std::string& how) {
    std::vector<agenthost_request_host_ptr> lost;
    std::string code = kCrashed, reason, failure;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (process_.fd >= 0) ::close(process_.fd);
        const bool wasUp = up_;
        const pid_t pid = process_.pid;
        process_ = {};
        up_ = false;
        if (ending_ && ending_->code == "failed") {  // the runner said why it could not start
            failure = ending_->reason;
            reason = "the plugin's runner could not start: " + failure;
        } else if (ending_) {
            code = ending_->code;
            reason = ending_->reason + "; its runner (pid " + std::to_string(pid) + ") was killed";
        } else if (stopping_) {
            code = protocol::error_code::kPluginError;
            reason = "the plugin's runner stopped (" + how + ")";
        } else if (pid <= 0) {
            reason = how;  // it could not even be started
        } else {
            reason = "the plugin crashed: its runner (pid " + std::to_string(pid) + ") " + how;
        }
        if (!everUp_) failure_ = failure.empty() ? reason : failure;
        for (auto& [id, request] : requests_)
            if (request->epoch == epoch_ && !request->finished) {
                request->finished = true;
                lost.push_back(request->handle);
            }
        outbound_.clear();
        awaiting_.clear();
        ending_.reset();
        ++epoch_;
        const auto now = Clock::now();
        if (everUp_ && !stopping_) {
            lastFailure_ = reason;
            lastFailureAt_ = now;
            ++restarts_;
            failuresInARow_ = wasUp && now - upSince_ >= kStableAfter ? 1 : failuresInARow_ + 1;
        }
        if (everUp_) changed_.notify_all();
    }
    if (!stopping_ && everUp_)
        logger().warning("[" + route_.route + "] " + reason + "; " + std::to_string(lost.size()) +
                         " request(s) ended with " + code + "; restarting it");
    for (auto* handle : lost) handle->onFinish(code, reason);
}

void RunnerProxy::dispatch(FrameReader& frame) {
    switch (frame.type()) {
        case FrameType::Hello: {
            Identity identity;
            identity.name = frame.str();
            identity.version = frame.str();
            identity.abiMajor = frame.u32();
            identity.abiMinor = frame.u32();
            identity.flags = frame.u32();
            std::lock_guard<std::mutex> lock(mutex_);
            if (!everUp_) identity_ = std::move(identity);
            if (!awaiting_.empty()) awaiting_.pop_front();
            up_ = everUp_ = true;
            upSince_ = Clock::now();
            pluginHealth_ = {};
            changed_.notify_all();
            return;
        }
        case FrameType::Failed: {
            std::lock_guard<std::mutex> lock(mutex_);
            ending_ = Ending{"failed", std::string(frame.str())};
            return;
        }
        case FrameType::HealthAnswer: {
            plugin::Health health;
            health.status = frame.u32();
            health.detail = frame.str();
            std::lock_guard<std::mutex> lock(mutex_);
            if (!awaiting_.empty()) awaiting_.pop_front();
            pluginHealth_ = std::move(health);
            return;
        }
        case FrameType::Log: {
            const std::uint32_t level = frame.u32();
            plugin::logAtLevel(Poco::Logger::get("plugin"), level, std::string(frame.str()));
            return;
        }
        case FrameType::MetricDefine: {
            const std::uint32_t theirs = frame.u32();
            const std::uint32_t kind = frame.u32();
            const auto name = frame.str();
            metricIds_[theirs] = metrics_.define(kind, name, frame.str());
            return;
        }
        case FrameType::MetricRecord: {
            const std::uint32_t theirs = frame.u32();
            const double value = frame.f64();
            const auto it = metricIds_.find(theirs);
            if (it != metricIds_.end()) metrics_.record(it->second, value);
            return;
        }
        default:
            dispatchRequestFrame(frame);
    }
}

void RunnerProxy::dispatchRequestFrame(FrameReader& frame) {
    const std::uint64_t id = frame.u64();
    if (frame.type() == FrameType::Started) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!awaiting_.empty()) awaiting_.pop_front();
        }
        if (frame.u8() != 0) return;
        const auto code = frame.str();
        const auto message = frame.str();
        finishRequest(id, code.empty() ? protocol::error_code::kPluginError : code,
                      message.empty() ? "the plugin refused the request" : message);
        return;
    }
    if (frame.type() == FrameType::Finish) {
        const auto code = frame.str();
        finishRequest(id, code, frame.str());
        return;
    }
    auto* handle = handleOf(id);
    if (handle == nullptr) return;
    switch (frame.type()) {
        case FrameType::Text:
            return reportStatus(id, handle->onText(frame.str()));
        case FrameType::Event: {
            const auto kind = frame.str();
            const auto content = frame.str();
            return reportStatus(id, handle->onEvent(kind, content, frame.str()));
        }
        case FrameType::Approval: {
            const std::uint64_t cookie = frame.u64();
            const auto action = frame.str();
            const auto content = frame.str();
            return reportStatus(id,
                                handle->onApprovalRequest(cookie, action, content, frame.str()));
        }
        case FrameType::Usage: {
            const std::uint64_t in = frame.u64();
            return handle->onUsage(in, frame.u64());
        }
        case FrameType::StopReason:
            return handle->onStopReason(frame.str());
        case FrameType::SessionState:
            return handle->onSessionState(frame.str());
        case FrameType::TurnData:
            return handle->onTurnData(frame.str());
        case FrameType::CacheUsage: {
            const std::uint64_t creation = frame.u64();
            return handle->onCacheUsage(creation, frame.u64());
        }
        case FrameType::RequestLog: {
            const std::uint32_t level = frame.u32();
            return handle->onLog(level, frame.str());
        }
        default:
            return;
    }
}

agenthost_request_host_ptr RunnerProxy::handleOf(std::uint64_t id) {
    // Only this thread finishes requests, so a handle found unfinished stays valid meanwhile.
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = requests_.find(id);
    if (it == requests_.end() || it->second->finished || it->second->epoch != epoch_)
        return nullptr;
    return it->second->handle;
}

void RunnerProxy::finishRequest(std::uint64_t id, std::string_view code, std::string_view message) {
    agenthost_request_host_ptr handle;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = requests_.find(id);
        if (it == requests_.end() || it->second->finished || it->second->epoch != epoch_) return;
        it->second->finished = true;
        handle = it->second->handle;
    }
    handle->onFinish(code, message);
}

void RunnerProxy::reportStatus(std::uint64_t id, std::uint32_t status) {
    if (status == AGENTHOST_EMIT_SLOW_DOWN) return setSlowed(id, true);
    if (!ends(status)) return;
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = requests_.find(id);
    if (it == requests_.end() || it->second->reported == status) return;
    it->second->reported = status;
    FrameWriter frame(FrameType::Status);
    frame.u64(id).u32(status);
    queueLocked(frame);
}

// Tells the runner, once per change, whether the request's readers are behind.
void RunnerProxy::setSlowed(std::uint64_t id, bool slowed) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = requests_.find(id);
    if (it == requests_.end() || it->second->finished || it->second->epoch != epoch_ ||
        it->second->slowed == slowed)
        return;
    it->second->slowed = slowed;
    FrameWriter frame(FrameType::Pace);
    frame.u64(id).u8(slowed ? 1 : 0);
    queueLocked(frame);
}

bool RunnerProxy::anySlowedLocked() const {
    return std::any_of(requests_.begin(), requests_.end(), [&](const auto& entry) {
        return entry.second->slowed && !entry.second->finished && entry.second->epoch == epoch_;
    });
}

// Lets go of the slowed requests whose readers caught up (or that ended meanwhile). Asked
// without the proxy's mutex: the answer takes the conversation's.
void RunnerProxy::pace(Clock::time_point now) {
    std::vector<std::pair<std::uint64_t, agenthost_request_host_ptr>> slowed;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (now < nextPace_) return;
        nextPace_ = now + kPaceInterval;
        for (const auto& [id, request] : requests_)
            if (request->slowed && !request->finished && request->epoch == epoch_)
                slowed.emplace_back(id, request->handle);
    }
    // Only this thread finishes requests, so these handles stay valid meanwhile (handleOf).
    for (const auto& [id, handle] : slowed) {
        const std::uint32_t status = handle->onWritableNow();
        if (status == AGENTHOST_EMIT_SLOW_DOWN) continue;
        setSlowed(id, false);
        reportStatus(id, status);
    }
}

}  // namespace agenthost::runner
