#include "core/Host.h"

#include <Poco/Logger.h>
#include <Poco/Net/ServerSocket.h>

#include <algorithm>
#include <thread>

#include "plugin/PluginMetrics.h"
#include "session/Session.h"
#include "store/OpenStore.h"
#include "util/CallbackTimerTask.h"
#include "util/EpochMillis.h"
#include "util/Heap.h"

namespace agenthost::core {
namespace {

Poco::Logger& log() {
    return Poco::Logger::get("agenthost");
}

std::size_t workerCount(int configured) {
    if (configured > 0) return static_cast<std::size_t>(configured);
    return std::max<std::size_t>(2, std::thread::hardware_concurrency());
}

// The series of every configured route, and of each key on the routes it may open, exist from
// the start at zero: a rate over a series that appears only with its first event misses it.
void declareMetricSeries(metrics::Metrics& metrics, const Generation& generation) {
    auto keys = generation.config.keys;
    if (generation.generatedKey) keys.push_back(generation.generatedKey->settings);
    for (const auto& route : generation.config.routes) {
        metrics.route(route.route);
        for (const auto& key : keys)
            if (key.allRoutes || std::count(key.routes.begin(), key.routes.end(), route.route))
                metrics.key(route.route, key.name);
    }
}

}  // namespace

Host::Host(Generation first, std::unique_ptr<plugin::LibraryCache> libraries)
    : configPath_(first.config.path),
      listening_(first.config.server),
      metricsOn_(first.config.metrics.enabled),
      libraries_(std::move(libraries)),
      routes_(std::move(first.routes)),
      runtime_(std::move(first.runtime)),
      tls_(std::move(first.tls)),
      configuredKeys_(!first.config.keys.empty()),
      conversationSettings_(first.config.conversations),
      workers_(std::make_unique<WorkerPool>(workerCount(listening_.workerThreads))) {
    openStore(first.config);
    limits_ = std::make_shared<limits::KeyLimits>(store_.get(), limits::Windows::fromEnvironment());
    limits_->configure(first.config.keys);
    conversation::Services services;
    services.pool = workers_.get();
    services.timer = &timer_;
    services.runtime = [this] { return this->runtime(); };
    services.requestIds = &requestIds_;
    services.currentInstance = [this](const std::string& route) { return routes()->find(route); };
    services.store = store_.get();
    services.reaper = &reaper_;
    services.limits = limits_;
    services.metrics = metricsOn_ ? &metrics_ : nullptr;
    if (metricsOn_) declareMetricSeries(metrics_, first);
    hub_ = std::make_unique<conversation::ConversationHub>(services);
    conversationApi_ = std::make_unique<conversation::HttpApi>(
        store_.get(),
        [this](const std::string& key) -> std::optional<std::string> {
            if (const auto* settings = runtime()->keys->find(key)) return settings->name;
            return std::nullopt;
        },
        hub_.get());

    environment_.pool = workers_.get();
    environment_.runtime = services.runtime;
    environment_.hub = hub_.get();
    environment_.reaper = &reaper_;
    environment_.throttle = authThrottle_.get();
    environment_.metrics = services.metrics;
    environment_.currentInstance = services.currentInstance;
    environment_.closed = [this](const session::Session* session) { sessionClosed(session); };
    environment_.limits = limits_.get();
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
    const std::int64_t now = util::epochMillis();
    const std::int64_t olderThan =
        settings.retentionDays > 0 ? now - std::int64_t{settings.retentionDays} * 86'400'000 : 0;
    // In slices: each is one short write of the store's single writer, so the frames of running
    // turns and a resume's flush are committed between them rather than after the whole sweep.
    std::size_t deleted = 0;
    std::size_t slice = 0;
    do {
        const auto removed =
            store_->enforceRetention(olderThan, settings.maxPerKey, kRetentionSlice);
        for (const auto& id : removed) hub_->deleted(id);
        slice = removed.size();
        deleted += slice;
    } while (slice == kRetentionSlice && !stopping_);
    if (deleted > 0)
        log().information("retention: deleted " + std::to_string(deleted) + " conversation(s)");
}

Host::~Host() {
    stop();
}

void Host::start() {
    Poco::Net::ServerSocket listener;
    listener.bind(Poco::Net::SocketAddress(listening_.host, listening_.port), true);
    listener.listen(SOMAXCONN);
    port_ = listener.address().port();
    front_ = std::make_unique<http::FrontEnd>(*this, loop_);
    hub_->closeInterruptedTurns();
    enforceRetention();
    const long retentionMs = 1000L * conversationSettings_.retentionIntervalS;
    retentionTimer_.scheduleAtFixedRate(new util::CallbackTimerTask([this] { enforceRetention(); }),
                                        retentionMs, retentionMs);
    timer_.scheduleAtFixedRate(new util::CallbackTimerTask(util::returnFreeHeapPages),
                               util::kReturnFreeHeapPagesMs, util::kReturnFreeHeapPagesMs);
    loop_.start();
    accepting_ = true;
    loop_.listen(listener, [this](Poco::Net::StreamSocket socket) {
        if (accepting_) front_->accept(std::move(socket));
    });
    running_ = true;
}

std::uint16_t Host::port() const {
    return port_;
}

void Host::stop() {
    if (!running_) return;
    running_ = false;
    stopping_ = true;  // a retention sweep in progress ends after its current slice
    log().information("shutting down: closing " + std::to_string(loop_.size()) + " connection(s)");
    accepting_ = false;  // no new connections, and no upgrade after this becomes a session
    loop_.stopListening();
    hub_->shutdownAll();  // running turns end with an error frame...
    loop_.shutdownAll();  // ...before their clients get Close 1001
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(runtime()->server.shutdownTimeoutS);
    while (loop_.size() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    loop_.stop();                  // drops whoever did not finish the close handshake
    retentionTimer_.cancel(true);  // waits for a sweep's current slice
    timer_.cancel(true);
    workers_->stop();  // session tasks done: sessions release their instances
    std::shared_ptr<const plugin::RouteTable> last;
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        last = std::move(routes_);
    }
    // Outside the lock: destroying the instances lets plugins finish their requests, which
    // takes conversation locks (and those read the settings under stateMutex_).
    last.reset();  // destroys instances (joining plugin threads), then unloads libraries
    // Instances still held by conversations whose plugins are finishing come in through the
    // reaper; wait for them, so no plugin thread outlives the host.
    reaper_.drain(std::chrono::seconds(runtime()->server.shutdownTimeoutS));
    if (store_) store_->flush();
    log().information("stopped");
}

ReloadOutcome Host::reload() {
    ReloadOutcome outcome;
    bool keysRequired = false;
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        keysRequired = configuredKeys_;
    }
    auto build = buildGeneration(configPath_, routes().get(), *libraries_, keysRequired);
    for (const auto& warning : build.warnings) log().warning("reload: " + warning.describe());
    std::shared_ptr<const plugin::RouteTable> previous;
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        if (!build.generation) {
            metrics_.reloaded(false);
            outcome.error = build.describeErrors();
            reload_.ok = false;
            reload_.error = outcome.error;
            log().error("reload failed, generation " + std::to_string(reload_.generation) +
                        " keeps running: " + outcome.error);
            return outcome;
        }
        Generation& next = *build.generation;
        outcome.ok = true;
        metrics_.reloaded(true);
        if (metricsOn_) declareMetricSeries(metrics_, next);
        // Whether the port speaks TLS is fixed at start; a new certificate for it is not.
        outcome.restartRequired = next.config.server.host != listening_.host ||
                                  next.config.server.port != listening_.port ||
                                  (next.tls != nullptr) != (tls_ != nullptr);
        if (tls_ && next.tls) {
            tls_ = next.tls;  // new connections get it; open ones keep theirs
            log().information("reload: TLS certificate " + tls_->certPath() + " valid until " +
                              tls_->notAfter());
        }
        previous = std::move(routes_);
        routes_ = std::move(next.routes);
        runtime_ = std::move(next.runtime);
        limits_->configure(next.config.keys);  // counters stay
        configuredKeys_ = !next.config.keys.empty();
        reload_.generation += 1;
        reload_.loadedAt.update();
        reload_.ok = true;
        reload_.error.clear();
        reload_.restartRequired = outcome.restartRequired;
        log().information("reload: generation " + std::to_string(reload_.generation) + " with " +
                          std::to_string(routes_->routes.size()) + " route(s) is live");
        if (outcome.restartRequired)
            log().warning(
                "reload: [server] host/port/TLS changed; restart agenthost to listen on " +
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
    return loop_.webSockets() >= runtime()->server.maxConnections;
}

std::shared_ptr<net::ConnectionHandler> Host::adopt(
    std::shared_ptr<net::Connection> connection, std::shared_ptr<plugin::PluginInstance> instance,
    const std::optional<std::string>& bearerKeyName, const std::string& query) {
    if (!accepting_) return nullptr;  // stopping
    auto session = std::make_shared<session::Session>(connection, std::move(instance), environment_,
                                                      session::parseUpgradeOptions(query));
    {
        std::lock_guard<std::mutex> lock(sessionsMutex_);
        sessions_[session.get()] = session;
    }
    session->begin(bearerKeyName);
    return session;
}

http::PlainResponse Host::conversations(const http::PlainRequest& request) {
    return conversationApi_->handle(request);
}

void Host::runBlocking(std::function<void()> work) {
    workers_->post(std::move(work));
}

http::StoreHealthFacts Host::storeHealth() const {
    http::StoreHealthFacts facts;
    const std::string& store = conversationSettings_.store;
    facts.name = store.rfind("sqlite", 0) == 0 ? "sqlite" : store;
    facts.problem = storeOpenError_;
    if (store_)
        if (auto health = store_->health(); !health.ok) facts.problem = health.reason;
    return facts;
}

// The registry's families, then what is read when asked: plain HTTP connections, the plugins'
// health, the store's errors.
std::string Host::metricsText() const {
    metrics::Exposition out;
    out.family("agenthost_build_info", "gauge", "The running version, as a label.");
    out.sample("agenthost_build_info", {{"version", kVersion}}, std::int64_t{1});
    out.family("process_start_time_seconds", "gauge", "When the server started (Unix time).");
    out.sample("process_start_time_seconds", {},
               static_cast<double>(startedAt_.epochMicroseconds()) / 1e6);
    metrics_.write(out);
    out.family("agenthost_http_connections", "gauge",
               "Open connections that are not WebSockets (reading or between HTTP requests).");
    const std::size_t all = loop_.size();
    out.sample("agenthost_http_connections", {},
               static_cast<std::int64_t>(all - std::min(all, loop_.webSockets())));

    out.family("agenthost_plugin_health", "gauge",
               "Each route's plugin health: 1 for the status it reports now, else 0.");
    // Held for the loop: a reload may replace the table meanwhile.
    const auto table = routes();
    for (const auto& [route, instance] : table->routes) {
        const std::string now = plugin::healthName(instance->health().status);
        for (const char* status : {"ok", "degraded", "error"})
            out.sample("agenthost_plugin_health", {{"route", route}, {"status", status}},
                       std::int64_t{now == status ? 1 : 0});
    }
    std::vector<plugin::RouteMetrics> pluginMetrics;  // what the plugins defined themselves
    for (const auto& [route, instance] : table->routes)
        pluginMetrics.push_back({route, instance->metrics().samples()});
    plugin::writePluginMetrics(out, pluginMetrics);
    out.family("agenthost_store_errors_total", "counter",
               "Conversation store failures: write batches not committed, writes dropped, reads "
               "that could not start.");
    if (store_) {
        const auto health = store_->health();
        out.sample("agenthost_store_errors_total", {{"operation", "commit"}}, health.failedCommits);
        out.sample("agenthost_store_errors_total", {{"operation", "dropped_write"}},
                   health.droppedWrites);
        out.sample("agenthost_store_errors_total", {{"operation", "read"}}, health.failedReads);
    }
    return out.text();
}

std::shared_ptr<const net::TlsContext> Host::tls() const {
    std::lock_guard<std::mutex> lock(stateMutex_);
    return tls_;
}

http::StatusFacts Host::statusFacts() const {
    http::StatusFacts facts;
    {
        std::lock_guard<std::mutex> lock(stateMutex_);
        facts.routes = routes_;
        facts.reload = reload_;
        facts.tls = tls_;
    }
    facts.uptimeS = static_cast<std::int64_t>(startedAt_.elapsed() / Poco::Timestamp::resolution());
    facts.connections = loop_.webSockets();
    return facts;
}

}  // namespace agenthost::core
