#include "config/Config.h"

#include <Poco/AutoPtr.h>
#include <Poco/Environment.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Logger.h>
#include <Poco/Path.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>
#include <Poco/Util/IniFileConfiguration.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "config/IniLint.h"
#include "config/Secrets.h"
#include "util/Digest.h"

namespace agenthost::config {
namespace {

using Ini = Poco::Util::IniFileConfiguration;

// Poco's ini dialect keeps everything after '=' as the value; strip an inline "  ; comment".
std::string stripInlineComment(const std::string& value) {
    for (std::size_t i = 1; i < value.size(); ++i)
        if (value[i] == ';' && (value[i - 1] == ' ' || value[i - 1] == '\t'))
            return Poco::trim(value.substr(0, i));
    return value;
}

// The NAMEs of every [<prefix>.NAME] header in the ini text, in order. Poco's ini reader only
// knows sections that hold a key, but an empty [plugin.echo] is a route with every default and
// an empty [key.phone] is a key whose secret is missing, so the headers are read here.
std::vector<std::string> sectionNames(const std::string& text, const std::string& prefix) {
    std::vector<std::string> names;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        const std::string header = Poco::trim(line);
        const std::size_t end = header.find(']');
        if (header.empty() || header[0] != '[' || end == std::string::npos) continue;
        const std::string section = Poco::trim(header.substr(1, end - 1));
        if (section.size() <= prefix.size() + 1 || section.rfind(prefix + ".", 0) != 0) continue;
        const std::string name = section.substr(prefix.size() + 1);
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
    return names;
}

std::string defaultStateDir(const std::string& configDir) {
    // systemd's StateDirectory= sets STATE_DIRECTORY to the folder it made for this service (a
    // colon-separated list when the unit names several; the first is ours).
    if (Poco::Environment::has("STATE_DIRECTORY")) {
        const std::string dirs = Poco::Environment::get("STATE_DIRECTORY");
        const std::string first = dirs.substr(0, dirs.find(':'));
        if (!first.empty()) return first;
    }
    if (Poco::Environment::has("XDG_STATE_HOME"))
        return Poco::Path(Poco::Environment::get("XDG_STATE_HOME")).append("agenthost").toString();
    if (Poco::Environment::has("HOME"))
        return Poco::Path(Poco::Environment::get("HOME"))
            .append(".local/state/agenthost")
            .toString();
    return Poco::Path(configDir).append(".agenthost-state").toString();
}

// Reads one section of the file, tracking which keys were used so that the rest can be
// reported as unknown.
class SectionReader {
  public:
    SectionReader(const Ini& ini, std::string section, std::string baseDir, LoadResult& result)
        : ini_(ini), section_(std::move(section)), baseDir_(std::move(baseDir)), result_(result) {}

    // Every key of the section, dotted ones included: Poco lists `env.HOME = x` only as `env`.
    std::vector<std::string> keys() const {
        std::vector<std::string> names;
        collectKeys("", names);
        return names;
    }

    bool has(const std::string& key) const { return ini_.has(section_ + "." + key); }

    // The raw value with the inline comment stripped; no env:/file: resolution.
    std::string raw(const std::string& key, const std::string& fallback = "") {
        used_.insert(key);
        if (!has(key)) return fallback;
        return stripInlineComment(ini_.getRawString(section_ + "." + key));
    }

    // The value with env:/file: resolved; reports a problem and returns nullopt if it can't be.
    std::optional<std::string> resolved(const std::string& key) {
        Resolved r = resolveValue(raw(key), baseDir_);
        if (!r.value) error(key, r.error);
        return r.value;
    }

    template <class Int>
    void integer(const std::string& key, Int& target, long long min, long long max) {
        if (!has(key)) {
            used_.insert(key);
            return;
        }
        const std::string text = raw(key);
        long long value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
            error(key, "must be a whole number from " + std::to_string(min) + " to " +
                           std::to_string(max) + ", got \"" + text + "\"");
            return;
        }
        target = static_cast<Int>(value);
    }

    // An optional limit: absent stays unset (unlimited).
    void limit(const std::string& key, std::optional<std::uint64_t>& target, long long max) {
        if (!has(key)) {
            used_.insert(key);
            return;
        }
        long long value = 0;
        integer(key, value, 1, max);
        if (value > 0) target = static_cast<std::uint64_t>(value);
    }

    std::optional<bool> boolean(const std::string& key, bool fallback) {
        const std::string text = Poco::toLower(raw(key, fallback ? "true" : "false"));
        if (text == "true" || text == "yes" || text == "on" || text == "1") return true;
        if (text == "false" || text == "no" || text == "off" || text == "0") return false;
        error(key, "must be true or false, got \"" + text + "\"");
        return std::nullopt;
    }

    void error(const std::string& key, const std::string& message) {
        result_.errors.push_back({section_, key, message});
    }

    void warnUnknownKeys() {
        for (const auto& key : keys())
            if (!used_.count(key))
                result_.warnings.push_back({section_, key, "unknown key, ignored"});
    }

    const std::string& baseDir() const { return baseDir_; }

  private:
    void collectKeys(const std::string& prefix, std::vector<std::string>& out) const {
        std::vector<std::string> children;
        ini_.keys(prefix.empty() ? section_ : section_ + "." + prefix, children);
        for (const auto& child : children) {
            if (child.empty() || child[0] == '#') continue;  // '#' lines are comments to users
            const std::string name = prefix.empty() ? child : prefix + "." + child;
            if (ini_.has(section_ + "." + name)) out.push_back(name);
            collectKeys(name, out);
        }
    }

    const Ini& ini_;
    std::string section_;
    std::string baseDir_;
    LoadResult& result_;
    std::set<std::string> used_;
};

void readServer(SectionReader s, ServerSettings& out) {
    if (s.has("host")) out.host = s.raw("host");
    s.integer("port", out.port, 0, 65535);
    s.integer("auth_timeout_s", out.authTimeoutS, 1, 3600);
    s.integer("max_message_bytes", out.maxMessageBytes, 16, 64ll << 20);
    s.integer("max_connections", out.maxConnections, 1, 1000000);
    out.maxPendingAuth = std::max(kMinPendingAuth, out.maxConnections / 4);
    s.integer("max_pending_auth", out.maxPendingAuth, 1, 1000000);
    s.integer("max_pending_auth_per_address", out.maxPendingAuthPerAddress, 1, 1000000);
    s.integer("auth_failures_per_minute", out.authFailuresPerMinute, 0, 1000000);
    s.integer("auth_cooldown_s", out.authCooldownS, 1, 24 * 3600);
    s.integer("ping_interval_s", out.pingIntervalS, 1, 3600);
    s.integer("send_timeout_s", out.sendTimeoutS, 1, 3600);
    s.integer("max_outbound_bytes", out.maxOutboundBytes, 4096, 1ll << 30);
    // A slowed plugin may still hand over one emit past the bound; the drop limit is for clients
    // that take nothing at all, and must leave that room. Unset, it follows a small
    // max_outbound_bytes down.
    out.maxResponseBufferBytes =
        std::min<std::size_t>(out.maxResponseBufferBytes, out.maxOutboundBytes / 2);
    if (s.has("max_response_buffer_bytes")) {
        s.integer("max_response_buffer_bytes", out.maxResponseBufferBytes, 4096, 1ll << 30);
        if (out.maxResponseBufferBytes * 2 > out.maxOutboundBytes)
            s.error("max_response_buffer_bytes", "must be at most half of max_outbound_bytes (" +
                                                     std::to_string(out.maxOutboundBytes) + ")");
    }
    s.integer("max_queued_messages", out.maxQueuedMessages, 0, 10000);
    s.integer("history_max_turns", out.historyMaxTurns, 0, 100000);
    s.integer("worker_threads", out.workerThreads, 0, 256);
    s.integer("shutdown_timeout_s", out.shutdownTimeoutS, 0, 3600);
    s.integer("drain_timeout_s", out.drainTimeoutS, 0, 7 * 24 * 3600);
    s.integer("request_head_timeout_s", out.requestHeadTimeoutS, 1, 3600);
    s.integer("max_header_bytes", out.maxHeaderBytes, 1024, 1 << 20);
    s.integer("keep_alive_timeout_s", out.keepAliveTimeoutS, 1, 3600);
    s.integer("tls_handshake_timeout_s", out.tlsHandshakeTimeoutS, 1, 3600);
    const std::string cert = s.raw("tls_cert"), key = s.raw("tls_key");
    if (cert.empty() != key.empty())
        s.error(cert.empty() ? "tls_cert" : "tls_key", "tls_cert and tls_key go together");
    if (!cert.empty()) out.tlsCert = Poco::Path(s.baseDir()).resolve(cert).toString();
    if (!key.empty()) out.tlsKey = Poco::Path(s.baseDir()).resolve(key).toString();
    std::string stateDir = s.raw("state_dir");
    out.stateDir = stateDir.empty() ? defaultStateDir(s.baseDir())
                                    : Poco::Path(s.baseDir()).resolve(stateDir).toString();
    s.warnUnknownKeys();
}

void readStreaming(SectionReader s, StreamingSettings& out) {
    s.integer("chunk_chars", out.chunkChars, 1, 1000000);
    s.integer("chunk_delay_ms", out.chunkDelayMs, 0, 10000);
    s.warnUnknownKeys();
}

void readLog(SectionReader s, LogSettings& out) {
    out.format = Poco::toLower(Poco::trim(s.raw("format", "text")));
    if (out.format != "text" && out.format != "json")
        s.error("format", "must be text or json, got \"" + out.format + "\"");
    out.level = Poco::toLower(Poco::trim(s.raw("level", "information")));
    try {
        Poco::Logger::parseLevel(out.level);
    } catch (const Poco::Exception&) {
        s.error("level",
                "must be one of fatal, critical, error, warning, notice, information, "
                "debug, trace; got \"" +
                    out.level + "\"");
    }
    const std::string file = s.raw("file");
    if (!file.empty()) out.file = Poco::Path(s.baseDir()).resolve(file).toString();
    if (auto content = s.boolean("log_content", false)) out.logContent = *content;
    s.integer("flush_ms", out.flushMs, 0, 10000);
    s.warnUnknownKeys();
}

void readConversations(SectionReader s, ConversationSettings& out) {
    const std::string store = Poco::trim(s.raw("store", "sqlite"));
    if (store == "sqlite" || store == "none") {
        out.store = store;
    } else if (store.rfind("sqlite:", 0) == 0 && store.size() > 7) {
        out.store = "sqlite:" + Poco::Path(s.baseDir()).resolve(store.substr(7)).toString();
    } else if (store.rfind("postgresql://", 0) == 0 || store.rfind("postgres://", 0) == 0) {
        s.error("store", "PostgreSQL is not supported by this build yet: use sqlite or none");
    } else {
        s.error("store", "must be sqlite, sqlite:PATH or none, got \"" + store + "\"");
    }
    s.integer("retention_days", out.retentionDays, 0, 100000);
    s.integer("max_per_key", out.maxPerKey, 0, 100000000);
    s.integer("retention_interval_s", out.retentionIntervalS, 1, 7 * 24 * 3600);
    s.warnUnknownKeys();
}

void readMetrics(SectionReader s, MetricsSettings& out) {
    if (auto enabled = s.boolean("enabled", true)) out.enabled = *enabled;
    if (auto requireAdmin = s.boolean("require_admin", true)) out.requireAdmin = *requireAdmin;
    s.warnUnknownKeys();
}

void readWeb(SectionReader s, WebSettings& out) {
    if (auto enabled = s.boolean("enabled", true)) out.enabled = *enabled;
    const std::string directory = s.raw("directory");
    if (!directory.empty()) out.directory = Poco::Path(s.baseDir()).resolve(directory).toString();
    s.warnUnknownKeys();
}

void readKey(SectionReader s, const std::string& name, std::vector<KeySettings>& out) {
    KeySettings key;
    key.name = name;
    const std::string secret = s.raw("secret");
    if (secret.empty()) {
        s.error("secret", "is missing: set a literal key, env:VAR, file:PATH or sha256:<hex>");
    } else if (secret.rfind("sha256:", 0) == 0) {
        std::string hex = Poco::toLower(secret.substr(7));
        if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos)
            s.error("secret", "sha256: must be followed by 64 hex digits");
        key.sha256Hex = hex;
    } else if (auto value = s.resolved("secret")) {
        key.sha256Hex = util::sha256Hex(*value);
    }
    const std::string plugins = s.raw("plugins", "*");
    key.allRoutes = Poco::trim(plugins) == "*";
    if (!key.allRoutes) {
        Poco::StringTokenizer names(
            plugins, ",",
            Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
        for (const auto& route : names) {
            if (!isRouteName(route)) s.error("plugins", "\"" + route + "\" is not a route name");
            key.routes.push_back(route);
        }
    }
    if (auto admin = s.boolean("admin", false)) key.admin = *admin;
    s.limit("max_connections", key.limits.maxConnections, 1000000);
    s.limit("requests_per_minute", key.limits.requestsPerMinute, 1000000000);
    s.limit("max_concurrent_requests", key.limits.maxConcurrentRequests, 1000000);
    s.limit("tokens_per_day", key.limits.tokensPerDay, 1000000000000000ll);
    s.warnUnknownKeys();
    out.push_back(std::move(key));
}

bool isIsolationKey(const std::string& key) {
    return key == "isolation" || key == "runner_memory_mb" || key == "runner_cpu_s" ||
           key == "runner_open_files" || key == "runner_timeout_s";
}

void readIsolation(SectionReader& s, RouteSettings& r) {
    IsolationSettings& i = r.isolation;
    const std::string mode =
        s.raw("isolation", bundledLibrary(r.library) ? "in_process" : "process");
    if (mode == "process")
        i.process = true;
    else if (mode != "in_process")
        s.error("isolation", "must be process or in_process");
    s.integer("runner_memory_mb", i.memoryMb, 0, 1ll << 30);
    s.integer("runner_cpu_s", i.cpuS, 0, 1ll << 40);
    s.integer("runner_open_files", i.openFiles, 16, 1 << 20);
    s.integer("runner_timeout_s", i.timeoutS, 1, 3600);
}

void readRoute(SectionReader s, const std::string& route, const std::string& pluginDir,
               std::vector<RouteSettings>& out) {
    RouteSettings r;
    r.route = route;
    if (!isRouteName(route)) s.error("", "route name must match [a-z0-9_-]{1,64}");
    const auto enabled = s.boolean("enabled", true);
    r.library = s.raw("library", route);
    if (r.library.empty() || r.library.find('/') != std::string::npos)
        s.error("library", "must be a plugin name such as \"echo\" (loads <directory>/echo.so)");
    r.libraryPath =
        Poco::Path(Poco::Path::forDirectory(pluginDir)).setFileName(r.library + ".so").toString();
    s.integer("approval_timeout_s", r.approvalTimeoutS, 1, 24 * 3600);
    // Both the host's (what approval_timeout_s decides) and the plugin's (what it answers when
    // no client can be asked): it is passed on too.
    const std::string policy = s.raw("approval_policy", "decline");
    if (policy == "accept")
        r.approvalTimeoutAccepts = true;
    else if (policy != "decline")
        s.error("approval_policy", "must be decline or accept, got \"" + policy + "\"");
    s.integer("request_timeout_s", r.requestTimeoutS, 0, 7 * 24 * 3600);
    readIsolation(s, r);
    for (const auto& key : s.keys()) {
        // The host's own keys; the plugin gets the rest.
        if (key == "library" || key == "enabled" || key == "approval_timeout_s" ||
            key == "request_timeout_s" || isIsolationKey(key))
            continue;
        if (enabled.value_or(false)) {
            if (auto value = s.resolved(key)) r.settings.emplace_back(key, *value);
        }
    }
    if (enabled.value_or(false)) out.push_back(std::move(r));
}

void checkKeyRoutes(const Config& config, LoadResult& result) {
    std::set<std::string> routes;
    for (const auto& r : config.routes) routes.insert(r.route);
    for (const auto& key : config.keys)
        for (const auto& route : key.routes)
            if (!routes.count(route))
                result.warnings.push_back(
                    {"key." + key.name, "plugins", "route \"" + route + "\" is not configured"});
}

}  // namespace

bool isRouteName(const std::string& name) {
    const auto allowed = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    };
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), allowed);
}

bool bundledLibrary(const std::string& library) {
    return library == "echo" || library == "claude" || library == "codex_bridgehub";
}

std::string Problem::describe() const {
    std::string where = line > 0 ? "line " + std::to_string(line) : "";
    const auto append = [&where](const std::string& part) {
        if (!where.empty()) where += " ";
        where += part;
    };
    if (!section.empty()) append("[" + section + "]");
    if (!key.empty()) append(key);
    return where.empty() ? message : where + ": " + message;
}

LoadResult loadConfig(const std::string& path) {
    LoadResult result;
    Poco::Path filePath = Poco::Path(path).absolute();
    result.config.path = filePath.toString();
    const std::string baseDir = filePath.parent().toString();

    Poco::AutoPtr<Ini> ini;
    std::string text;  // read once, so that Poco and sectionNames() see the same file
    try {
        if (!Poco::File(filePath).exists()) {
            result.errors.push_back(
                {"", "", "config file " + filePath.toString() + " does not exist"});
            return result;
        }
        if (!Poco::File(filePath).isFile()) {
            result.errors.push_back({"", "", filePath.toString() + " is not a regular file"});
            return result;
        }
        std::ifstream file(filePath.toString(), std::ios::binary);
        std::ostringstream content;
        if (file) content << file.rdbuf();
        if (!file) throw Poco::OpenFileException(filePath.toString());
        text = content.str();
        // Poco's reader takes anything (garbage, repeats, nothing): check the lines first.
        result.errors = lintIni(text);
        if (!result.errors.empty()) return result;
        std::istringstream stream(text);
        ini = new Ini(stream);
    } catch (const Poco::Exception& e) {
        result.errors.push_back(
            {"", "", "cannot read " + filePath.toString() + ": " + e.displayText()});
        return result;
    }

    Config& config = result.config;
    std::vector<std::string> sections;
    ini->keys("", sections);
    for (const auto& section : sections) {
        if (section == "server" || section == "streaming" || section == "plugins" ||
            section == "conversations" || section == "log" || section == "metrics" ||
            section == "web" || section == "key" || section == "plugin")
            continue;
        result.warnings.push_back({section, "", "unknown section, ignored"});
    }

    readServer(SectionReader(*ini, "server", baseDir, result), config.server);
    readStreaming(SectionReader(*ini, "streaming", baseDir, result), config.streaming);
    readConversations(SectionReader(*ini, "conversations", baseDir, result), config.conversations);
    readLog(SectionReader(*ini, "log", baseDir, result), config.log);
    readMetrics(SectionReader(*ini, "metrics", baseDir, result), config.metrics);
    readWeb(SectionReader(*ini, "web", baseDir, result), config.web);

    SectionReader plugins(*ini, "plugins", baseDir, result);
    config.pluginDirectory =
        Poco::Path(baseDir).resolve(plugins.raw("directory", "plugins")).toString();
    if (auto strict = plugins.boolean("strict_permissions", true))
        config.strictPermissions = *strict;
    plugins.warnUnknownKeys();

    for (const auto& name : sectionNames(text, "key"))
        readKey(SectionReader(*ini, "key." + name, baseDir, result), name, config.keys);

    for (const auto& route : sectionNames(text, "plugin"))
        readRoute(SectionReader(*ini, "plugin." + route, baseDir, result), route,
                  config.pluginDirectory, config.routes);
    if (config.routes.empty())  // a truncated file must not turn every route into a 404
        result.errors.push_back(
            {"plugin.*", "",
             "no enabled [plugin.NAME] section: every WebSocket route would be 404"});
    checkKeyRoutes(config, result);
    return result;
}

}  // namespace agenthost::config
