#include "plugin/PluginInstance.h"

#include <Poco/Logger.h>

#include <vector>

namespace agenthost::plugin {
namespace {

agenthost_str view(const std::string& s) {
    return {s.c_str(), s.size()};
}

}  // namespace

std::string healthName(agenthost_health_status status) {
    switch (status) {
        case AGENTHOST_HEALTH_OK:
            return "ok";
        case AGENTHOST_HEALTH_DEGRADED:
            return "degraded";
        default:
            return "error";
    }
}

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
}

PluginInstance::~PluginInstance() {
    if (instance_) library_->api().instance_destroy(instance_);
}

Health PluginInstance::health() const {
    char detail[1024] = "";
    Health h;
    h.status = library_->api().instance_health(instance_, detail, sizeof detail);
    detail[sizeof detail - 1] = '\0';
    h.detail = detail;
    return h;
}

bool PluginInstance::start(const agenthost_request& request,
                           agenthost_request_host_ptr handle) const {
    return library_->api().request_start(instance_, &request, handle) == 0;
}

void PluginInstance::cancel(agenthost_request_host_ptr handle) const {
    library_->api().request_cancel(instance_, handle);
}

}  // namespace agenthost::plugin
