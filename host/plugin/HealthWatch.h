// Asks a plugin instance for its health without letting the plugin hold anyone up.
//
// `instance_health` is reached by unauthenticated `GET /api/health`, and the ABI's rule that it
// returns promptly is only a promise: a plugin that blocks in it would otherwise hold the thread
// that asked, once per request. Here every call runs on the watch's own thread, one at a time:
// callers that arrive while a call runs share the next call's answer (a flood of health requests
// costs the plugin one call per call's duration), and a caller waits at most `timeout`; past
// that it gets `degraded` with a sentence saying how long the plugin has not answered, and later
// callers get that at once until the call returns.
//
// It also watches the plugin's other calls that must return promptly (request_start): a call
// running longer than its bound makes the health `degraded` ("request_start has not returned
// for N s") and is logged with the plugin's name, from the watch's thread, while the thread that
// made the call is stuck in it; both clear when it returns.
#pragma once

#include <agenthost/plugin_abi.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

namespace agenthost::plugin {

struct Health {
    std::uint32_t status = AGENTHOST_HEALTH_OK;
    std::string detail;
};

std::string healthName(std::uint32_t status);

class HealthWatch {
  public:
    // `call` asks the plugin; it must not capture anything that dies with the watch's owner
    // (after an abandoned call returns, it is destroyed on the watch's thread).
    HealthWatch(std::function<Health()> call, std::string pluginName,
                std::chrono::milliseconds callBound = std::chrono::seconds(2));
    ~HealthWatch();  // stop(0) if not stopped yet
    HealthWatch(const HealthWatch&) = delete;
    HealthWatch& operator=(const HealthWatch&) = delete;

    // A health the plugin gave after this call began, or the overrun report.
    Health current(std::chrono::milliseconds timeout);

    // A call into the plugin named `what` (static text) began or ended on some host thread.
    std::uint64_t callBegan(const char* what);
    void callEnded(std::uint64_t call);

    // Stops the thread, waiting up to `timeout` for a call in progress. False when the call has
    // not returned: the thread is left to finish it alone, and the owner must keep the plugin's
    // code loaded and its instance alive (it is still inside them).
    bool stop(std::chrono::milliseconds timeout);

  private:
    struct State;
    Health pluginHealth(std::chrono::milliseconds timeout);
    static void run(std::shared_ptr<State> state);

    std::shared_ptr<State> state_;  // shared with the thread, which may outlive the watch
    std::thread thread_;
};

}  // namespace agenthost::plugin
