#include "plugin/PluginInstance.h"

#include <Poco/Logger.h>

#include <mutex>
#include <vector>

namespace agenthost::plugin {
namespace {

agenthost_str view(const std::string& s) {
    return {s.c_str(), s.size()};
}

// How long a health request waits for the plugin, and how long retiring an instance waits for
// a health call in progress before leaving the instance in place.
constexpr std::chrono::milliseconds kHealthTimeout{1000};
constexpr std::chrono::milliseconds kHealthStopTimeout{1000};

// The plugin's answer; captures only what stays valid while the library is loaded.
std::function<Health()> healthCall(const agenthost_plugin_api& api,
                                   agenthost_instance_plugin_ptr instance) {
    return [ask = api.instance_health, instance] {
        char detail[1024] = "";
        Health health;
        health.status = ask(instance, detail, sizeof detail);
        detail[sizeof detail - 1] = '\0';
        health.detail = detail;
        return health;
    };
}

}  // namespace

PluginInstance::PluginInstance(std::shared_ptr<PluginLibrary> library,
                               const config::RouteSettings& route)
    : library_(std::move(library)), settings_(route) {
    host_.route = route.route;
    host_.logger = &Poco::Logger::get("plugin");

    std::vector<agenthost_setting> settings;
    for (const auto& [key, value] : settings_.settings)
        settings.push_back({view(key), view(value)});
    agenthost_instance_config config{};
    config.struct_size = sizeof config;
    config.route = view(host_.route);
    config.settings = settings.data();
    config.settings_count = settings.size();
    config.host = &host_;

    char error[1024] = "";
    instance_ = library_->api().instance_new(&config, error, sizeof error);
    if (instance_ == nullptr)
        throw LoadError("plugin " + library_->name() + " refused the settings of [plugin." +
                        route.route + "]: " + (error[0] ? error : "no reason given"));
    health_ =
        std::make_unique<HealthWatch>(healthCall(library_->api(), instance_), library_->name());
}

PluginInstance::~PluginInstance() {
    if (health_ && !health_->stop(kHealthStopTimeout)) {
        // The plugin is still inside instance_health: destroying the instance or unloading its
        // code under it would crash the host. Both are left in place for the life of the
        // process (a holder that is never destroyed, so not even exit() unloads the code).
        static std::mutex mutex;
        static auto* abandoned = new std::vector<std::shared_ptr<PluginLibrary>>();
        std::lock_guard<std::mutex> lock(mutex);
        abandoned->push_back(library_);
        return;
    }
    if (instance_) library_->api().instance_destroy(instance_);
}

Health PluginInstance::health() const {
    return health_->current(kHealthTimeout);
}

bool PluginInstance::start(const agenthost_request& request,
                           agenthost_request_host_ptr handle) const {
    return library_->api().request_start(instance_, &request, handle) == 0;
}

void PluginInstance::cancel(agenthost_request_host_ptr handle) const {
    library_->api().request_cancel(instance_, handle);
}

}  // namespace agenthost::plugin
