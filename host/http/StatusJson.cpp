#include "http/StatusJson.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <sstream>
#include <utility>
#include <vector>

#include "config/Config.h"
#include "net/TlsContext.h"
#include "plugin/RouteTable.h"
#include "protocol/Frames.h"
#include "util/Version.h"

namespace agenthost::http {
namespace {

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

HealthReport collectHealth(const plugin::RouteTable* table) {
    HealthReport report;
    if (table == nullptr) return report;
    for (const auto& [route, instance] : table->routes) {
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

Poco::JSON::Object pluginEntry(const plugin::PluginInstance& instance, const plugin::Health& health,
                               bool full) {
    Poco::JSON::Object entry(Poco::JSON_PRESERVE_KEY_ORDER);
    entry.set("route", instance.route());
    entry.set("path", "/api/" + instance.route() + "/ws");
    entry.set("library", instance.settings().library);
    if (full) entry.set("library_path", instance.libraryPath());
    entry.set("plugin", instance.pluginName());
    entry.set("version", instance.pluginVersion());
    entry.set("abi_version", instance.abiVersion());
    entry.set("connections", instance.connections.load());
    entry.set("health", healthObject(health));
    return entry;
}

Poco::JSON::Object reloadObject(const ReloadFacts& reload, bool full) {
    Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    object.set("generation", reload.generation);
    object.set("loaded_at", iso8601(reload.loadedAt));
    object.set("ok", reload.ok);
    if (!reload.ok && full) object.set("error", reload.error);
    object.set("restart_required", reload.restartRequired);
    return object;
}

Poco::JSON::Object tlsObject(const net::TlsContext& tls, bool full) {
    Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    object.set("enabled", true);
    object.set("not_after", tls.notAfter());
    if (full) {
        object.set("subject", tls.subject());
        object.set("cert_path", tls.certPath());
    }
    return object;
}

}  // namespace

std::string healthJson(const plugin::RouteTable* routes, const StoreHealthFacts& store) {
    HealthReport report = collectHealth(routes);
    Poco::JSON::Object connections(Poco::JSON_PRESERVE_KEY_ORDER);
    Poco::JSON::Object plugins(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& [instance, health] : report.routes) {
        connections.set(instance->route(), instance->connections.load());
        plugins.set(instance->route(), healthObject(health));
    }
    Poco::JSON::Object conversations(Poco::JSON_PRESERVE_KEY_ORDER);
    conversations.set("store", store.name);
    conversations.set("status", store.problem.empty() ? "ok" : "degraded");
    if (!store.problem.empty()) {
        conversations.set("detail", store.problem);
        report.overall = "degraded";
    }
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("status", report.overall);
    body.set("version", kVersion);
    body.set("timestamp", protocol::timestampNow());
    body.set("connections", connections);
    body.set("plugins", plugins);
    body.set("conversations", conversations);
    return stringify(body);
}

std::string routesJson(const plugin::RouteTable* routes, const config::KeySettings& key) {
    Poco::JSON::Array list;
    if (routes != nullptr)
        for (const auto& [route, instance] : routes->routes) {
            if (!key.allRoutes &&
                std::find(key.routes.begin(), key.routes.end(), route) == key.routes.end())
                continue;
            Poco::JSON::Object entry(Poco::JSON_PRESERVE_KEY_ORDER);
            entry.set("route", route);
            entry.set("path", "/api/" + route + "/ws");
            entry.set("plugin", instance->pluginName());
            entry.set("version", instance->pluginVersion());
            entry.set("health", healthObject(instance->health()));
            list.add(entry);
        }
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("routes", list);
    return stringify(body);
}

std::string statusJson(const StatusFacts& facts, bool full) {
    const HealthReport report = collectHealth(facts.routes.get());
    Poco::JSON::Array plugins;
    for (const auto& [instance, health] : report.routes)
        plugins.add(pluginEntry(*instance, health, full));
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("status", "running");
    body.set("version", kVersion);
    body.set("uptime", static_cast<Poco::Int64>(facts.uptimeS));
    body.set("health", report.overall);
    body.set("timestamp", protocol::timestampNow());
    body.set("connections", facts.connections);
    body.set("abi_version",
             std::to_string(AGENTHOST_ABI_MAJOR) + "." + std::to_string(AGENTHOST_ABI_MINOR));
    body.set("plugins", plugins);
    body.set("reload", reloadObject(facts.reload, full));
    if (facts.tls) body.set("tls", tlsObject(*facts.tls, full));
    return stringify(body);
}

}  // namespace agenthost::http
