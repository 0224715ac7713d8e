// The host's services that conversations use; all outlive every conversation.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "session/Runtime.h"

namespace Poco::Util {
class Timer;
}

namespace agenthost::core {
class WorkerPool;
}

namespace agenthost::metrics {
class Metrics;
}

namespace agenthost::plugin {
class InstanceReaper;
class PluginInstance;
}  // namespace agenthost::plugin

namespace agenthost::store {
class ConversationStore;
}

namespace agenthost::limits {
class KeyLimits;
}

namespace agenthost::conversation {

struct Services {
    core::WorkerPool* pool = nullptr;
    Poco::Util::Timer* timer = nullptr;  // for chunk pacing
    std::function<std::shared_ptr<const session::Runtime>()> runtime;
    std::atomic<std::uint64_t>* requestIds = nullptr;
    // The newest generation's instance for a route, or null if the route was removed.
    std::function<std::shared_ptr<plugin::PluginInstance>(const std::string& route)>
        currentInstance;
    store::ConversationStore* store = nullptr;  // null: conversations live in memory only
    plugin::InstanceReaper* reaper = nullptr;   // where instances no longer used are let go
    // Per-key limits (null: none); shared, since a plugin may report tokens after the host stops.
    std::shared_ptr<limits::KeyLimits> limits;
    metrics::Metrics* metrics = nullptr;  // null: metrics are off
};

}  // namespace agenthost::conversation
