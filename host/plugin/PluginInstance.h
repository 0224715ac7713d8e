// One configured route ([plugin.NAME]) served by a plugin library. Shared by every session of
// the route; the library stays loaded while any instance of it exists.
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

namespace agenthost::plugin {

class PluginInstance {
  public:
    // Creates the plugin's instance for `route`. Throws LoadError when the plugin refuses.
    PluginInstance(std::shared_ptr<PluginLibrary> library, const config::RouteSettings& route);
    // instance_destroy: the plugin finishes and joins everything. Unless the plugin is stuck in
    // instance_health: then the instance is left alone and its library stays loaded.
    ~PluginInstance();
    PluginInstance(const PluginInstance&) = delete;
    PluginInstance& operator=(const PluginInstance&) = delete;

    const std::string& route() const { return host_.route; }
    const PluginLibrary& library() const { return *library_; }
    const config::RouteSettings& settings() const { return settings_; }

    // The plugin's health, asked off the caller's thread; at most about a second's wait
    // (HealthWatch).
    Health health() const;

    // The plugin promised that request_start never blocks: it may run on the event loop.
    bool nonBlockingStart() const { return library_->nonBlockingStart(); }

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
