// The host side of the plugin ABI: the callback table handed to every plugin, and the C++
// definitions of the ABI's opaque host handles.
#pragma once

#include <agenthost/plugin_abi.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace Poco {
class Logger;
}

namespace agenthost::plugin {
class PluginMetrics;

// Where a plugin runner process sends the metrics its plugin defines and records, on top of
// counting them itself (isolation = process: the host's /metrics shows them).
class MetricsForward {
  public:
    virtual void defined(std::uint32_t id, std::uint32_t kind, std::string_view name,
                         std::string_view help) = 0;
    virtual void recorded(std::uint32_t id, double value) = 0;

  protected:
    ~MetricsForward() = default;
};
}  // namespace agenthost::plugin

// One request as the plugin sees it. The host implements it (conversation/TurnRequest.h); the
// C callbacks below only check their arguments and forward to it. Every string is borrowed for
// the call. The uint32_t results are AGENTHOST_EMIT_*.
struct agenthost_request_host {
    virtual std::uint32_t onText(std::string_view text) = 0;
    virtual std::uint32_t onEvent(std::string_view kind, std::string_view content,
                                  std::string_view data) = 0;
    virtual std::uint32_t onApprovalRequest(std::uint64_t cookie, std::string_view action,
                                            std::string_view content, std::string_view detail) = 0;
    virtual void onUsage(std::uint64_t in, std::uint64_t out) = 0;
    virtual void onStopReason(std::string_view reason) = 0;
    virtual void onSessionState(std::string_view state) = 0;
    virtual void onTurnData(std::string_view data) = 0;
    virtual void onCacheUsage(std::uint64_t creation, std::uint64_t read) = 0;
    virtual void onLog(std::uint32_t level, std::string_view message) = 0;
    virtual void onFinish(std::string_view code,
                          std::string_view message) = 0;  // code empty: success
    virtual std::uint32_t onWaitWritable(std::uint64_t timeoutMs) = 0;
    // What onWaitWritable would return if it did not wait: OK once the readers caught up,
    // SLOW_DOWN while they are behind, or the status of an ended request. For the runner's
    // proxy, which looks at its slowed requests from its one I/O thread and must not wait.
    virtual std::uint32_t onWritableNow() = 0;

  protected:
    ~agenthost_request_host() = default;  // never deleted through the ABI handle
};

// One plugin instance as the plugin sees it: where its log lines and metrics go.
struct agenthost_instance_host {
    std::string route;
    Poco::Logger* logger = nullptr;
    agenthost::plugin::PluginMetrics* metrics = nullptr;   // null: metric_define refuses
    agenthost::plugin::MetricsForward* forward = nullptr;  // in a runner: to the host
};

namespace agenthost::plugin {

// Marks the calling thread as inside a call from the host into a plugin (request_start,
// request_cancel, ...) for as long as it lives: wait_writable must not wait there.
class HostCallScope {
  public:
    HostCallScope() { ++depth_; }
    ~HostCallScope() { --depth_; }
    HostCallScope(const HostCallScope&) = delete;
    HostCallScope& operator=(const HostCallScope&) = delete;

  private:
    friend bool insideHostCall();
    static thread_local int depth_;
};
inline bool insideHostCall() {
    return HostCallScope::depth_ > 0;
}

// The host's callback table; static, valid for the life of the process.
const agenthost_host_api* hostApi();

// A plugin log line at AGENTHOST_LOG_* `level` (an unknown level logs as an error).
void logAtLevel(Poco::Logger& logger, std::uint32_t level, const std::string& line);

// What a request's callbacks return once the host cancelled it for `reason`
// (AGENTHOST_CANCEL_* -> AGENTHOST_EMIT_CANCELLED, _CLIENT_GONE or _STOPPING).
std::uint32_t emitStatusAfterCancel(std::uint32_t reason);

// The text a plugin wrote into `buffer`: at most its capacity, cut back to a whole UTF-8
// sequence, ill-formed bytes replaced.
std::string bufferText(const agenthost_buffer& buffer);

}  // namespace agenthost::plugin
