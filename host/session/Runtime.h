// What sessions and conversations read from the current configuration generation. Immutable;
// a reload swaps in a new one, and each new request reads the newest.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "auth/AuthThrottle.h"
#include "auth/KeyStore.h"
#include "config/Config.h"

namespace agenthost::core {
class WorkerPool;
}

namespace agenthost::conversation {
class ConversationHub;
}

namespace agenthost::limits {
class KeyLimits;
}

namespace agenthost::plugin {
class InstanceReaper;
class PluginInstance;
}  // namespace agenthost::plugin

namespace agenthost::metrics {
class Metrics;
}

namespace agenthost::web {
class StaticSite;
}

namespace agenthost::session {

class Session;

struct Runtime {
    std::shared_ptr<const auth::KeyStore> keys;
    config::ServerSettings server;
    config::StreamingSettings streaming;
    config::MetricsSettings metrics;
    // The chat page's files (GET / and /app/...); null when [web] enabled = false or its
    // folder could not be read (then `webProblem` says why).
    std::shared_ptr<const web::StaticSite> site;
    std::string webProblem;
};

// The host's services a session uses; all outlive every session.
struct Environment {
    core::WorkerPool* pool = nullptr;
    std::function<std::shared_ptr<const Runtime>()> runtime;
    conversation::ConversationHub* hub = nullptr;
    metrics::Metrics* metrics = nullptr;       // null: metrics are off
    plugin::InstanceReaper* reaper = nullptr;  // where instances no longer used are let go
    auth::AuthThrottle* throttle = nullptr;    // failed authentications per client address
    // The newest generation's instance for a route, or null if the route was removed.
    std::function<std::shared_ptr<plugin::PluginInstance>(const std::string& route)>
        currentInstance;
    std::function<void(const Session*)> closed;  // the session is gone; forget it
    limits::KeyLimits* limits = nullptr;         // per-key limits; null: none
};

}  // namespace agenthost::session
