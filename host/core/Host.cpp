#include "core/Host.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>

#include <sstream>
#include <thread>

#include "http/HandlerFactory.h"
#include "protocol/Frames.h"
#include "session/Session.h"
#include "store/OpenStore.h"
#include "util/CallbackTimerTask.h"

namespace agenthost::core {
namespace {

Poco::Logger& log() {
    return Poco::Logger::get("agenthost");
}

std::size_t workerCount(int configured) {
    if (configured > 0) return static_cast<std::size_t>(configured);
    return std::max<std::size_t>(2, std::thread::hardware_concurrency());
}

std::string stringify(const Poco::JSON::Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

std::string iso8601(const Poco::Timestamp& t) {
    return Poco::DateTimeFormatter::format(t, "%Y-%m-%dT%H:%M:%S.%iZ");
}

// Health of every route, and the worst of them.
struct HealthReport {
    std::string overall = "ok";
    std::vector<std::pair<std::shared_ptr<plugin::PluginInstance>, plugin::Health>> routes;
};

HealthReport collectHealth(const plugin::RouteTable& table) {
    HealthReport report;
    for (const auto& [route, instance] : table.routes) {
        auto health = instance->health();
        if (health.status != AGENTHOST_HEALTH_OK) report.overall = "degraded";
        report.routes.emplace_back(instance, std::move(health));
    }
    return report;
}

Poco::JSON::Object healthObject(const plugin::Health& health) {
    Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    object.set("status", plugin::healthName(health.status));
    object.set("detail", health.detail);
    return object;
}

}  // namespace

Host::Host(Generation first, std::unique_ptr<plugin::LibraryCache> libraries)
    : configPath_(first.config.path),
      listening_(first.config.server),
      libraries_(std::move(libraries)),
      routes_(std::move(first.routes)),
      runtime_(std::move(first.runtime)),
      conversationSettings_(first.config.conversations),
      workers_(std::make_unique<WorkerPool>(workerCount(listening_.workerThreads))),
      httpThreads_(2, 8) {
    openStore(first.config);
    conversation::Services services;
    services.pool = workers_.get();
    services.timer = &timer_;
    services.runtime = [this] { return this->runtime(); };
    services.requestIds = &requestIds_;
    services.currentInstance = [this](const std::string& route) { return routes()->find(route); };
    services.store = store_.get();
    hub_ = std::make_unique<conversation::ConversationHub>(services);

    environment_.pool = workers_.get();
    environment_.runtime = services.runtime;
    environment_.hub = hub_.get();
    environment_.currentInstance = services.currentInstance;
    environment_.closed = [this](const session::Session* session) { sessionClosed(session); };
}

void Host::openStore(const config::Config& config) {
    if (conversationSettings_.store == "none") return;
    std::string error;
    store_ = store::openStore(conversationSettings_.store, config.server.stateDir, &error);
    if (!store_) {
        storeOpenError_ = "the conversation store could not be opened: " + error;
        log().error(storeOpenError_ + " (conversations are kept in memory only)");
    }
}

void Host::enforceRetention() {
    if (!store_) return;
    const auto& settings = conversationSettings_;
    const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    const std::int64_t olderThan =
        settings.retentionDays > 0 ? now - std::int64_t{settings.retentionDays} * 86'400'000 : 0;
    auto removed = store_->enforceRetention(olderThan, settings.maxPerKey);
    for (const auto& id : removed) hub_->deleted(id);
    if (!removed.empty())
        log().information("retention: deleted " + std::to_string(removed.size()) +
                          " conversation(s)");
}

Host::~Host() {
    stop();
}

void Host::start() {
    Poco::Net::ServerSocket listener;
    listener.bind(Poco::Net::SocketAddress(listening_.host, listening_.port), true);
    listener.listen(SOMAXCONN);
    auto params = new Poco::Net::HTTPServerParams;
    // Poco closes accepted sockets beyond this queue without a word; after a restart every
    // client reconnects at once, so let the queue hold as many as may connect.
    params->setMaxQueued(static_cast<int>(std::max<std::size_t>(1024, listening_.maxConnections)));
    params->setMaxThreads(8);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(5, 0));
    params->setTimeout(Poco::Timespan(10, 0));
    params->setServerName("agenthost");
    params->setSoftwareVersion(std::string("agenthost/") + kVersion);
    hub_->closeInterruptedTurns();
    enforceRetention();
    const long retentionMs = 1000L * conversationSettings_.retentionIntervalS;
    timer_.scheduleAtFixedRate(
        new util::CallbackTimerTask([this] { workers_->post([this] { enforceRetention(); }); }),
        retentionMs, retentionMs);
    loop_.start();
    http_ = std::make_unique<Poco::Net::HTTPServer>(new http::HandlerFactory(*this), httpThreads_,
                                                    listener, params);
    http_->start();
    accepting_ = true;
    running_ = true;
}

std::uint16_t Host::port() const {
    return http_ ? http_->port() : 0;
}

void Host::stop() {
    if (!running_) return;
    running_ = false;
    log().information("shutting down: closing " + std::to_string(loop_.size()) + " connection(s)");
    accepting_ = false;
    http_->stopAll(true);    // no new connections...
    httpThreads_.joinAll();  // ...and no handshake still running that could adopt() one
    hub_->shutdownAll();     // running turns end with an error frame...
    loop_.shutdownAll();     // ...before their clients get Close 1001
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(runtime()->server.shutdownTimeoutS);
    while (loop_.size() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    loop_.stop();  // drops whoever did not finish the close handshake
    timer_.cancel(true);
    workers_->stop();  // session tasks done: sessions release their instances
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        routes_.reset();  // destroys instances (joining plugin threads), then unloads libraries
    }
    if (store_) store_->flush();
    log().information("stopped");
}

ReloadOutcome Host::reload() {
    ReloadOutcome outcome;
    auto build = buildGeneration(configPath_, routes().get(), *libraries_);
    for (const auto& warning : build.warnings) log().warning("reload: " + warning.describe());
    std::shared_ptr<const plugin::RouteTable> previous;
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        if (!build.generation) {
            outcome.error = build.describeErrors();
            reload_.lastReloadOk = false;
            reload_.lastReloadError = outcome.error;
            log().error("reload failed, generation " + std::to_string(reload_.generation) +
                        " keeps running: " + outcome.error);
            return outcome;
        }
        Generation& next = *build.generation;
        outcome.ok = true;
        outcome.restartRequired = next.config.server.host != listening_.host ||
                                  next.config.server.port != listening_.port;
        previous = std::move(routes_);
        routes_ = std::move(next.routes);
        runtime_ = std::move(next.runtime);
        reload_.generation += 1;
        reload_.loadedAt.update();
        reload_.lastReloadOk = true;
        reload_.lastReloadError.clear();
        reload_.restartRequired = outcome.restartRequired;
        log().information("reload: generation " + std::to_string(reload_.generation) + " with " +
                          std::to_string(routes_->routes.size()) + " route(s) is live");
        if (outcome.restartRequired)
            log().warning("reload: [server] host/port changed; restart agenthost to listen on " +
                          next.config.server.host + ":" + std::to_string(next.config.server.port));
    }
    bool removedRoutes = false;
    for (const auto& [route, instance] : previous->routes)
        if (!routes()->find(route)) removedRoutes = true;
    if (removedRoutes) {
        const long delayMs = 1000L * runtime()->server.drainTimeoutS;
        timer_.schedule(new util::CallbackTimerTask([this] { closeSessionsOfRemovedRoutes(); }),
                        delayMs, 0);
    }
    return outcome;
}

void Host::sessionClosed(const session::Session* session) {
    std::lock_guard<std::mutex> lock(sessionsMutex_);
    sessions_.erase(session);
}

void Host::closeSessionsOfRemovedRoutes() {
    std::vector<std::shared_ptr<session::Session>> orphans;
    auto table = routes();
    {
        std::lock_guard<std::mutex> lock(sessionsMutex_);
        for (const auto& [key, weak] : sessions_)
            if (auto session = weak.lock(); session && !table->find(session->route()))
                orphans.push_back(std::move(session));
    }
    for (auto& session : orphans) session->closeForRestart();
    if (!orphans.empty())
        log().information("drain timeout: closed " + std::to_string(orphans.size()) +
                          " session(s) of removed routes");
}

std::shared_ptr<const plugin::RouteTable> Host::routes() const {
    std::lock_guard<std::mutex> lock(stateMutex_);
    return routes_;
}

std::shared_ptr<const session::Runtime> Host::runtime() const {
    std::lock_guard<std::mutex> lock(stateMutex_);
    return runtime_;
}

bool Host::atConnectionLimit() const {
    return loop_.size() >= runtime()->server.maxConnections;
}

void Host::adopt(Poco::Net::StreamSocket socket, std::shared_ptr<plugin::PluginInstance> instance,
                 const std::optional<std::string>& bearerKeyName, const std::string& query) {
    if (!accepting_) return;  // stopping: the socket closes as it goes out of scope
    const auto settings = runtime()->server;
    net::ConnectionLimits limits;
    limits.maxMessageBytes = settings.maxMessageBytes;
    limits.maxOutboundBytes = settings.maxOutboundBytes;
    limits.sendTimeout = std::chrono::seconds(settings.sendTimeoutS);
    limits.pingInterval = std::chrono::seconds(settings.pingIntervalS);
    auto connection = std::make_shared<net::Connection>(std::move(socket), loop_, limits);
    auto session = std::make_shared<session::Session>(connection, std::move(instance), environment_,
                                                      session::parseUpgradeOptions(query));
    connection->setHandler(session);
    {
        std::lock_guard<std::mutex> lock(sessionsMutex_);
        sessions_[session.get()] = session;
    }
    session->begin(bearerKeyName);
    loop_.add(std::move(connection));
}

std::string Host::healthJson() const {
    auto table = routes();
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    Poco::JSON::Object connections(Poco::JSON_PRESERVE_KEY_ORDER);
    Poco::JSON::Object plugins(Poco::JSON_PRESERVE_KEY_ORDER);
    HealthReport report;
    if (table) report = collectHealth(*table);
    for (const auto& [instance, health] : report.routes) {
        connections.set(instance->route(), instance->connections.load());
        plugins.set(instance->route(), healthObject(health));
    }
    Poco::JSON::Object conversations(Poco::JSON_PRESERVE_KEY_ORDER);
    conversations.set("store", conversationSettings_.store.rfind("sqlite", 0) == 0
                                   ? "sqlite"
                                   : conversationSettings_.store);
    std::string storeProblem = storeOpenError_;
    if (store_)
        if (auto health = store_->health(); !health.ok) storeProblem = health.reason;
    conversations.set("status", storeProblem.empty() ? "ok" : "degraded");
    if (!storeProblem.empty()) {
        conversations.set("detail", storeProblem);
        report.overall = "degraded";
    }
    body.set("status", report.overall);
    body.set("version", kVersion);
    body.set("timestamp", protocol::timestampNow());
    body.set("connections", connections);
    body.set("plugins", plugins);
    body.set("conversations", conversations);
    return stringify(body);
}

std::string Host::statusJson() const {
    std::shared_ptr<const plugin::RouteTable> table;
    ReloadState state;
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        table = routes_;
        state = reload_;
    }
    HealthReport report;
    if (table) report = collectHealth(*table);
    Poco::JSON::Array plugins;
    for (const auto& [instance, health] : report.routes) {
        Poco::JSON::Object entry(Poco::JSON_PRESERVE_KEY_ORDER);
        entry.set("route", instance->route());
        entry.set("path", "/api/" + instance->route() + "/ws");
        entry.set("library", instance->settings().library);
        entry.set("library_path", instance->library().path());
        entry.set("plugin", instance->library().name());
        entry.set("version", instance->library().version());
        entry.set("abi_version", instance->library().abiVersion());
        entry.set("connections", instance->connections.load());
        entry.set("health", healthObject(health));
        plugins.add(entry);
    }
    Poco::JSON::Object reload(Poco::JSON_PRESERVE_KEY_ORDER);
    reload.set("generation", state.generation);
    reload.set("loaded_at", iso8601(state.loadedAt));
    reload.set("ok", state.lastReloadOk);
    if (!state.lastReloadOk) reload.set("error", state.lastReloadError);
    reload.set("restart_required", state.restartRequired);

    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("status", "running");
    body.set("version", kVersion);
    body.set("uptime",
             static_cast<Poco::Int64>(startedAt_.elapsed() / Poco::Timestamp::resolution()));
    body.set("health", report.overall);
    body.set("timestamp", protocol::timestampNow());
    body.set("connections", loop_.size());
    body.set("abi_version",
             std::to_string(AGENTHOST_ABI_MAJOR) + "." + std::to_string(AGENTHOST_ABI_MINOR));
    body.set("plugins", plugins);
    body.set("reload", reload);
    return stringify(body);
}

}  // namespace agenthost::core
