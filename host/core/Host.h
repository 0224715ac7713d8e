// The running server: owns the listener and HTTP front end, the event loop, the worker pool, the
// current route table and settings, and the order in which they start and stop.
//
// Ownership: Host -> RouteTable -> PluginInstance -> PluginLibrary. A session pins the
// instance it was opened on (shared_ptr), so an instance and its library live until the last
// session using them closes.
#pragma once

#include <Poco/Timestamp.h>
#include <Poco/Util/Timer.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "auth/AuthThrottle.h"
#include "config/Config.h"
#include "conversation/ConversationHub.h"
#include "conversation/HttpApi.h"
#include "core/Generation.h"
#include "core/WorkerPool.h"
#include "http/Backend.h"
#include "http/FrontEnd.h"
#include "limits/KeyLimits.h"
#include "metrics/Metrics.h"
#include "net/EventLoop.h"
#include "plugin/InstanceReaper.h"
#include "plugin/RouteTable.h"
#include "session/Runtime.h"
#include "store/ConversationStore.h"
#include "util/Version.h"

namespace agenthost::session {
class Session;
}

namespace agenthost::core {

using agenthost::kVersion;

struct ReloadOutcome {
    bool ok = false;
    std::string error;             // why the new generation was refused
    bool restartRequired = false;  // [server] host/port changed: only a restart applies them
};

class Host final : public http::Backend {
  public:
    // `first` was built from `libraries`, which the host keeps using for reloads.
    Host(Generation first, std::unique_ptr<plugin::LibraryCache> libraries);
    ~Host() override;

    // Binds the listener and starts serving; throws if the address cannot be bound.
    void start();
    // Graceful stop: no new connections, running responses end with an error frame, clients
    // get Close 1001, then plugins are destroyed. Waits at most shutdown_timeout_s for clients.
    void stop();

    std::uint16_t port() const;

    // Re-reads the config file and, if all of it is valid and every plugin loads, swaps the new
    // generation in at once; otherwise the running one stays untouched. Sessions move to the
    // new instance of their route between requests; those whose route was removed keep their
    // old instance and are closed with 1012 after drain_timeout_s. Call from one thread.
    ReloadOutcome reload();

    // http::Backend, for the front end.
    std::shared_ptr<const plugin::RouteTable> routes() const override;
    std::shared_ptr<const session::Runtime> runtime() const override;
    bool atConnectionLimit() const override;
    http::StatusFacts statusFacts() const override;
    http::StoreHealthFacts storeHealth() const override;
    std::string metricsText() const override;
    http::PlainResponse conversations(const http::PlainRequest& request) override;
    void runBlocking(std::function<void()> work) override;
    std::shared_ptr<const net::TlsContext> tls() const override;
    auth::AuthThrottle& authThrottle() const override { return *authThrottle_; }
    limits::KeyLimits& keyLimits() const override { return *limits_; }
    // Creates the session of an upgraded connection. `query` (the upgrade URL's raw query)
    // is not read by protocol 1 sessions; protocol 2 takes its parameters from it.
    std::shared_ptr<net::ConnectionHandler> adopt(std::shared_ptr<net::Connection> connection,
                                                  std::shared_ptr<plugin::PluginInstance> instance,
                                                  const std::optional<std::string>& bearerKeyName,
                                                  const std::string& query) override;

  private:
    void sessionClosed(const session::Session* session);
    void openStore(const config::Config& config);
    // Conversations deleted per store write by a retention sweep.
    static constexpr std::size_t kRetentionSlice = 50;
    void enforceRetention();
    void closeSessionsOfRemovedRoutes();

    const std::string configPath_;
    config::ServerSettings listening_;  // [server] as at start: host/port bound, worker count
    Poco::Timestamp startedAt_;
    // Outlives every session and conversation, which record into it. [metrics] enabled is read
    // at start: with it off, nothing is recorded.
    metrics::Metrics metrics_;
    const bool metricsOn_;
    std::unique_ptr<plugin::LibraryCache> libraries_;

    mutable std::mutex stateMutex_;  // guards routes_, runtime_, reload_, configuredKeys_
    std::shared_ptr<const plugin::RouteTable> routes_;
    std::shared_ptr<const session::Runtime> runtime_;
    std::shared_ptr<const net::TlsContext> tls_;  // null: plain HTTP (fixed at start)
    bool configuredKeys_ = false;  // the running config has [key.*] sections (no generated key)
    http::ReloadFacts reload_;

    std::mutex sessionsMutex_;  // guards sessions_
    std::unordered_map<const session::Session*, std::weak_ptr<session::Session>> sessions_;

    // Conversations: the store (null with store = none, or when it could not be opened) and
    // the live conversations. [conversations] is read at start; changing it needs a restart.
    config::ConversationSettings conversationSettings_;
    std::unique_ptr<store::ConversationStore> store_;
    std::string storeOpenError_;  // why the configured store could not be opened
    // Per-key counters: outlive generations (reload() hands it the new limits).
    std::shared_ptr<limits::KeyLimits> limits_;
    std::unique_ptr<conversation::ConversationHub> hub_;
    std::unique_ptr<conversation::HttpApi> conversationApi_;
    plugin::InstanceReaper reaper_;  // instances no session or conversation uses any more
    const std::unique_ptr<auth::AuthThrottle> authThrottle_ =
        std::make_unique<auth::AuthThrottle>();

    std::atomic<std::uint64_t> requestIds_{0};
    std::unique_ptr<WorkerPool> workers_;
    Poco::Util::Timer timer_;
    // The retention sweep's own thread: a sweep waits for the store's writer, which must hold
    // up neither a session worker nor the paced frames and closes on timer_.
    Poco::Util::Timer retentionTimer_;
    net::EventLoop loop_;
    std::unique_ptr<http::FrontEnd> front_;
    std::uint16_t port_ = 0;
    session::Environment environment_;
    bool running_ = false;
    std::atomic<bool> accepting_{false};  // new connections and upgrades are taken
    std::atomic<bool> stopping_{false};
};

}  // namespace agenthost::core
