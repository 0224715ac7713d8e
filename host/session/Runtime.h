// What sessions read from the current configuration generation. Immutable; a reload swaps in
// a new one, and each new request reads the newest.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "auth/KeyStore.h"
#include "config/Config.h"

namespace Poco::Util {
class Timer;
}

namespace agenthost::core {
class WorkerPool;
}

namespace agenthost::plugin {
class PluginInstance;
}

namespace agenthost::session {

class Session;

struct Runtime {
    std::shared_ptr<const auth::KeyStore> keys;
    config::ServerSettings server;
    config::StreamingSettings streaming;
};

// The host's services a session uses; all outlive every session.
struct Environment {
    core::WorkerPool* pool = nullptr;
    Poco::Util::Timer* timer = nullptr;  // for chunk pacing
    std::function<std::shared_ptr<const Runtime>()> runtime;
    std::atomic<std::uint64_t>* requestIds = nullptr;
    // The newest generation's instance for a route, or null if the route was removed.
    std::function<std::shared_ptr<plugin::PluginInstance>(const std::string& route)>
        currentInstance;
    std::function<void(const Session*)> closed;  // the session is gone; forget it
};

}  // namespace agenthost::session
