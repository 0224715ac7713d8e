// One configured route ([plugin.NAME]) served by a plugin library. Shared by every session of
// the route; the library stays loaded while any instance of it exists.
#pragma once

#include <agenthost/plugin_abi.h>

#include <atomic>
#include <memory>
#include <string>

#include "config/Config.h"
#include "plugin/HostApi.h"
#include "plugin/PluginLibrary.h"

namespace agenthost::plugin {

struct Health {
    agenthost_health_status status = AGENTHOST_HEALTH_OK;
    std::string detail;
};

std::string healthName(agenthost_health_status status);

class PluginInstance {
  public:
    // Creates the plugin's instance for `route`. Throws LoadError when the plugin refuses.
    PluginInstance(std::shared_ptr<PluginLibrary> library, const config::RouteSettings& route);
    ~PluginInstance();  // instance_destroy: the plugin finishes and joins everything
    PluginInstance(const PluginInstance&) = delete;
    PluginInstance& operator=(const PluginInstance&) = delete;

    const std::string& route() const { return host_.route; }
    const PluginLibrary& library() const { return *library_; }
    const config::RouteSettings& settings() const { return settings_; }

    Health health() const;

    // False when the plugin refused the request at once (it will not call finish).
    bool start(const agenthost_request& request, agenthost_request_host_ptr handle) const;
    void cancel(agenthost_request_host_ptr handle) const;

    // Open WebSocket sessions on this instance, for /api/health and /api/status.
    std::atomic<int> connections{0};

    // Instances of the process not yet destroyed (instance_destroy not yet returned).
    static int alive() { return AliveCount::count.load(); }

  private:
    std::shared_ptr<PluginLibrary> library_;
    config::RouteSettings settings_;
    agenthost_instance_host host_;
    agenthost_instance_plugin_ptr instance_ = nullptr;

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
