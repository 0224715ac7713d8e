#include "plugin/PluginInstance.h"

#include <Poco/Logger.h>

#include <mutex>
#include <vector>

#include "runner/RunnerProxy.h"

namespace agenthost::plugin {
namespace {

// How long a health request waits for the plugin, and how long retiring an instance waits for
// a health call in progress before leaving the instance in place.
constexpr std::chrono::milliseconds kHealthTimeout{1000};
constexpr std::chrono::milliseconds kHealthStopTimeout{1000};

// The plugin's answer; captures only what stays valid while the library is loaded.
std::function<Health()> healthCall(const agenthost_plugin_api& api,
                                   agenthost_instance_plugin_ptr instance) {
    return [ask = api.instance_health, instance] {
        char detail[1024];
        agenthost_buffer buffer{detail, sizeof detail, 0};
        Health health;
        health.status = ask(instance, &buffer);
        health.detail = bufferText(buffer);
        return health;
    };
}

}  // namespace

PluginInstance::PluginInstance(std::shared_ptr<PluginLibrary> library,
                               const config::RouteSettings& route)
    : library_(std::move(library)), settings_(route) {
    host_.route = route.route;
    host_.logger = &Poco::Logger::get("plugin");
    host_.metrics = &metrics_;

    instance_ = library_->newInstance(host_, settings_.settings);
    health_ =
        std::make_unique<HealthWatch>(healthCall(library_->api(), instance_), library_->name());
}

PluginInstance::PluginInstance(const config::RouteSettings& route, std::string contentHash)
    : settings_(route), contentHash_(std::move(contentHash)) {
    host_.route = route.route;
    host_.logger = &Poco::Logger::get("plugin");
    host_.metrics = &metrics_;
    proxy_ = std::make_unique<runner::RunnerProxy>(settings_, metrics_);
}

std::string PluginInstance::pluginName() const {
    return proxy_ ? proxy_->identity().name : library_->name();
}

std::string PluginInstance::pluginVersion() const {
    return proxy_ ? proxy_->identity().version : library_->version();
}

bool PluginInstance::honorsSlowDown() const {
    return proxy_ || library_->honorsSlowDown();
}

std::string PluginInstance::abiVersion() const {
    if (!proxy_) return library_->abiVersion();
    return std::to_string(proxy_->identity().abiMajor) + "." +
           std::to_string(proxy_->identity().abiMinor);
}

PluginInstance::~PluginInstance() {
    if (proxy_) {
        proxy_.reset();  // the runner destroys the instance and exits
        return;
    }
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
    if (proxy_) return proxy_->health();
    return health_->current(kHealthTimeout);
}

PluginInstance::Started PluginInstance::start(const agenthost_request& request,
                                              agenthost_request_host_ptr handle) const {
    char code[64];
    char message[1024];
    agenthost_buffer codeBuffer{code, sizeof code, 0};
    agenthost_buffer messageBuffer{message, sizeof message, 0};
    Started started;
    if (proxy_) {
        started.accepted = true;
        started.context = proxy_->start(request, handle);
        return started;
    }
    // Watched: a plugin stuck here holds a worker (or the loop), and the route shows it.
    const std::uint64_t call = health_->callBegan("request_start");
    const HostCallScope scope;
    const std::uint32_t answer = library_->api().request_start(
        instance_, &request, handle, &started.context, &codeBuffer, &messageBuffer);
    health_->callEnded(call);
    started.accepted = answer == AGENTHOST_START_ACCEPTED;
    if (!started.accepted) {
        started.context = nullptr;
        started.refusalCode = bufferText(codeBuffer);
        started.refusalMessage = bufferText(messageBuffer);
    }
    return started;
}

void PluginInstance::cancel(agenthost_request_plugin_ptr context, std::uint32_t reason) const {
    if (proxy_) return proxy_->cancel(context, reason);
    const HostCallScope scope;
    library_->api().request_cancel(instance_, context, reason);
}

void PluginInstance::release(agenthost_request_plugin_ptr context) const {
    if (proxy_) return proxy_->release(context);
    const HostCallScope scope;
    library_->api().request_release(instance_, context);
}

bool PluginInstance::approvalDecided(agenthost_request_plugin_ptr context, std::uint64_t cookie,
                                     std::uint32_t decision) const {
    if (proxy_) {
        proxy_->approvalDecided(context, cookie, decision);
        return true;
    }
    const auto decided = library_->api().approval_decided;
    if (decided == nullptr) return false;
    const HostCallScope scope;
    decided(instance_, context, cookie, decision);
    return true;
}

}  // namespace agenthost::plugin
