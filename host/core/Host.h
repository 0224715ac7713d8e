// The running server: owns the HTTP listener, the event loop, the worker pool, the current
// route table and settings, and the order in which they start and stop.
//
// Ownership: Host -> RouteTable -> PluginInstance -> PluginLibrary. A session pins the
// instance it was opened on (shared_ptr), so an instance and its library live until the last
// session using them closes.
#pragma once

#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timestamp.h>
#include <Poco/Util/Timer.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "config/Config.h"
#include "core/WorkerPool.h"
#include "net/EventLoop.h"
#include "plugin/RouteTable.h"
#include "session/Runtime.h"

namespace agenthost::core {

inline constexpr const char* kVersion = "1.0.0";

class Host {
public:
    // `keys` are the configured keys, or the generated one when none is configured.
    Host(config::Config config, std::shared_ptr<const plugin::RouteTable> routes,
         std::shared_ptr<const auth::KeyStore> keys);
    ~Host();

    // Binds the listener and starts serving; throws if the address cannot be bound.
    void start();
    // Graceful stop: no new connections, running responses end with an error frame, clients
    // get Close 1001, then plugins are destroyed. Waits at most shutdown_timeout_s for clients.
    void stop();

    std::uint16_t port() const;

    // For the HTTP handlers.
    std::shared_ptr<const plugin::RouteTable> routes() const;
    std::shared_ptr<const session::Runtime> runtime() const;
    bool atConnectionLimit() const;
    void adopt(Poco::Net::StreamSocket socket, std::shared_ptr<plugin::PluginInstance> instance,
               const std::optional<std::string>& bearerKeyName);
    std::string healthJson() const;
    std::string statusJson() const;

private:
    struct Generation {
        std::uint64_t number = 1;
        Poco::Timestamp loadedAt;
        bool lastReloadOk = true;
        std::string lastReloadError;
    };

    config::Config config_;
    Poco::Timestamp startedAt_;

    mutable std::mutex stateMutex_;  // guards routes_, runtime_, generation_
    std::shared_ptr<const plugin::RouteTable> routes_;
    std::shared_ptr<const session::Runtime> runtime_;
    Generation generation_;

    std::atomic<std::uint64_t> requestIds_{0};
    std::unique_ptr<WorkerPool> workers_;
    Poco::Util::Timer timer_;
    net::EventLoop loop_;
    Poco::ThreadPool httpThreads_;
    std::unique_ptr<Poco::Net::HTTPServer> http_;
    session::Environment environment_;
    bool running_ = false;
};

}  // namespace agenthost::core
