// The host's side of a plugin that runs in its own process (isolation = process): it starts
// the runner (runner/RunnerMain.h), forwards the host's calls to it as frames, and turns the
// runner's frames back into the host's request callbacks, so that to the rest of the host an
// isolated route is a plugin instance like any other (plugin::PluginInstance holds one).
//
// Threads: one I/O thread per proxy reads the runner's socket, calls the request handles, and
// watches the runner: a reply to request_start or instance_health that is later than the
// route's runner_timeout_s, or resident memory above runner_memory_mb, gets it killed. When
// the runner ends, whatever the reason, every request it had ends with `plugin_crashed` or
// `plugin_unresponsive`, the route reports `degraded` with the reason for a minute, and a new
// runner starts (at once, then after a backoff while it keeps failing). Backpressure crosses
// the socket too: an emit the host answers with SLOW_DOWN makes the proxy send the runner a
// Pace frame, and the I/O thread looks every few milliseconds whether the readers caught up,
// then sends another; in between, the plugin waits in the runner (runner/RunnerRequest.h).
// Host threads only
// queue frames and try a non-blocking send, under the proxy's mutex, which is a leaf: no call
// into the host or the plugin is made while it is held.
#pragma once

#include <agenthost/plugin_abi.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "config/Config.h"
#include "plugin/HealthWatch.h"
#include "plugin/PluginMetrics.h"
#include "runner/Frames.h"
#include "runner/RunnerProcess.h"

namespace agenthost::runner {

class RunnerProxy {
  public:
    // What the plugin said about itself when its runner first started.
    struct Identity {
        std::string name, version;
        std::uint32_t abiMajor = 0, abiMinor = 0, flags = 0;
    };

    // Starts the runner and waits until the plugin's instance exists. Throws plugin::LoadError
    // with the runner's reason (the library, the handshake or instance_new refused).
    RunnerProxy(const config::RouteSettings& route, plugin::PluginMetrics& metrics);
    // Asks the runner to destroy the instance and exit (killing it after a few seconds), reaps
    // it, and ends any request still open.
    ~RunnerProxy();
    RunnerProxy(const RunnerProxy&) = delete;
    RunnerProxy& operator=(const RunnerProxy&) = delete;

    const Identity& identity() const { return identity_; }
    pid_t pid() const;

    // request_start, always accepted here: a refusal in the runner arrives as a finish with the
    // plugin's code. Never blocks. The context is the proxy's, valid until release().
    agenthost_request_plugin_ptr start(const agenthost_request& request,
                                       agenthost_request_host_ptr handle);
    void cancel(agenthost_request_plugin_ptr context, std::uint32_t reason);
    void release(agenthost_request_plugin_ptr context);
    void approvalDecided(agenthost_request_plugin_ptr context, std::uint64_t cookie,
                         std::uint32_t decision);

    // The plugin's last answer, or `degraded` with why the runner ended within the last minute
    // or while it restarts. Never waits.
    plugin::Health health() const;

  private:
    using Clock = std::chrono::steady_clock;
    struct Request {
        std::uint64_t id = 0;
        agenthost_request_host_ptr handle = nullptr;
        std::uint64_t epoch = 0;  // the runner it was sent to
        bool finished = false;
        std::uint32_t reported = AGENTHOST_EMIT_OK;  // the last status sent to the runner
        bool slowed = false;                         // the runner was told its readers are behind
    };
    // A reply the runner owes: they come in the order asked (it serves frames one at a time).
    struct Awaited {
        FrameType reply;
        Clock::time_point deadline;
    };
    struct Ending {  // why the runner is going away, when the host decided it
        std::string code, reason;
    };

    void run();
    bool spawnLocked(std::unique_lock<std::mutex>& lock);
    void serve();
    void readAvailable(bool& ended);
    void dispatch(FrameReader& frame);
    void dispatchRequestFrame(FrameReader& frame);
    void finishRequest(std::uint64_t id, std::string_view code, std::string_view message);
    void reportStatus(std::uint64_t id, std::uint32_t status);
    void setSlowed(std::uint64_t id, bool slowed);
    void pace(Clock::time_point now);
    bool anySlowedLocked() const;
    void watch(Clock::time_point now);
    void killLocked(std::string code, std::string reason);
    void runnerEnded(const std::string& how);
    Clock::duration waitTime(Clock::time_point now) const;

    void queueLocked(FrameWriter& frame, std::optional<FrameType> reply = std::nullopt);
    void flushLocked();
    void wake();
    agenthost_request_host_ptr handleOf(std::uint64_t id);

    config::RouteSettings route_;
    plugin::PluginMetrics& metrics_;
    Identity identity_;
    std::chrono::seconds timeout_;
    int wakeFd_ = -1;  // eventfd: host threads wake the I/O thread

    mutable std::mutex mutex_;
    std::condition_variable changed_;
    RunnerProcess process_;  // pid -1 and fd -1 while none runs
    std::uint64_t epoch_ = 1;
    bool up_ = false;  // the current runner said Hello
    bool everUp_ = false;
    std::string failure_;  // why the first runner could not start
    bool stopping_ = false;
    std::string outbound_;
    std::deque<Awaited> awaiting_;
    std::map<std::uint64_t, std::unique_ptr<Request>> requests_;
    std::optional<Ending> ending_;
    plugin::Health pluginHealth_;
    std::string lastFailure_;
    Clock::time_point lastFailureAt_{};
    Clock::time_point upSince_{};
    int restarts_ = 0;
    int failuresInARow_ = 0;

    // I/O thread only.
    FrameBuffer in_;
    std::map<std::uint32_t, std::uint32_t> metricIds_;  // the runner's id -> the host's
    Clock::time_point nextHealth_{};
    Clock::time_point nextMemoryCheck_{};
    Clock::time_point stopDeadline_{};
    Clock::time_point nextPace_{};

    std::thread thread_;
};

}  // namespace agenthost::runner
