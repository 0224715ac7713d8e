// One configured route ([plugin.NAME]) served by a plugin library. Shared by every session of
// the route; the library stays loaded while any instance of it exists. With isolation =
// process the library is loaded in a runner process instead, and every call goes through a
// runner::RunnerProxy; the rest of the host sees no difference.
#pragma once

#include <agenthost/plugin_abi.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "config/Config.h"
#include "plugin/HealthWatch.h"
#include "plugin/HostApi.h"
#include "plugin/PluginLibrary.h"
#include "plugin/PluginMetrics.h"

namespace agenthost::runner {
class RunnerProxy;
}

namespace agenthost::plugin {

class PluginInstance {
  public:
    // Creates the plugin's instance for `route`. Throws LoadError when the plugin refuses.
    PluginInstance(std::shared_ptr<PluginLibrary> library, const config::RouteSettings& route);
    // The route's plugin in a runner process (isolation = process); `contentHash` identifies
    // the library file's content, to tell a reload whether it changed. Throws LoadError.
    PluginInstance(const config::RouteSettings& route, std::string contentHash);
    // instance_destroy: the plugin finishes and joins everything. Unless the plugin is stuck in
    // instance_health: then the instance is left alone and its library stays loaded.
    ~PluginInstance();
    PluginInstance(const PluginInstance&) = delete;
    PluginInstance& operator=(const PluginInstance&) = delete;

    const std::string& route() const { return host_.route; }
    const config::RouteSettings& settings() const { return settings_; }
    // The library loaded in this process; null when the route is isolated.
    const PluginLibrary* library() const { return library_.get(); }
    bool isolated() const { return proxy_ != nullptr; }
    // The isolated library's content hash; empty in process.
    const std::string& contentHash() const { return contentHash_; }
    // What the plugin says it is, wherever it runs.
    std::string pluginName() const;
    std::string pluginVersion() const;
    std::string abiVersion() const;
    const std::string& libraryPath() const { return settings_.libraryPath; }

    // The plugin's health, asked off the caller's thread; at most about a second's wait
    // (HealthWatch).
    Health health() const;

    // The plugin promised that request_start never blocks: it may run on the event loop.
    // An isolated route's start only queues a frame, so it never blocks either.
    bool nonBlockingStart() const { return proxy_ || library_->nonBlockingStart(); }
    // The plugin may be told AGENTHOST_EMIT_SLOW_DOWN. On an isolated route the proxy is told,
    // whatever the plugin's flags, and passes it on to the runner as a Pace frame, which holds
    // a plugin without the flag inside its emits (runner/RunnerRequest.h).
    bool honorsSlowDown() const;

    // request_start. Accepted: the plugin calls finish once, and `context` is its pointer for
    // the calls below. Refused: it will not call finish; its code and sentence, if it gave them.
    struct Started {
        bool accepted = false;
        agenthost_request_plugin_ptr context = nullptr;
        std::string refusalCode;
        std::string refusalMessage;
    };
    Started start(const agenthost_request& request, agenthost_request_host_ptr handle) const;
    // The per-request calls; conversation::TurnRequest decides when each is allowed.
    void cancel(agenthost_request_plugin_ptr context, std::uint32_t reason) const;
    void release(agenthost_request_plugin_ptr context) const;
    // False when the plugin has no approval_decided.
    bool approvalDecided(agenthost_request_plugin_ptr context, std::uint64_t cookie,
                         std::uint32_t decision) const;

    // The metrics the plugin defined, for /metrics.
    const PluginMetrics& metrics() const { return metrics_; }

    // Open WebSocket sessions on this instance, for /api/health and /api/status.
    std::atomic<int> connections{0};

    // Instances of the process not yet destroyed (instance_destroy not yet returned).
    static int alive() { return AliveCount::count.load(); }

  private:
    std::shared_ptr<PluginLibrary> library_;
    config::RouteSettings settings_;
    PluginMetrics metrics_;
    agenthost_instance_host host_;
    agenthost_instance_plugin_ptr instance_ = nullptr;
    std::unique_ptr<HealthWatch> health_;
    std::unique_ptr<runner::RunnerProxy> proxy_;  // isolation = process
    std::string contentHash_;

    // Counted from construction until after instance_destroy (members outlive the body).
    struct AliveCount {
        AliveCount() { count.fetch_add(1); }
        ~AliveCount() { count.fetch_sub(1); }
        AliveCount(const AliveCount&) = delete;
        AliveCount& operator=(const AliveCount&) = delete;
        static inline std::atomic<int> count{0};
    };
    AliveCount aliveCount_;
};

}  // namespace agenthost::plugin
