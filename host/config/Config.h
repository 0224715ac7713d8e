// The validated contents of agenthost.ini (see docs/config.md). A Config is immutable once
// loaded; a reload builds a new one and swaps it in whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace agenthost::config {

struct ServerSettings {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    int authTimeoutS = 10;
    std::size_t maxMessageBytes = 65536;
    std::size_t maxConnections = 10000;
    // Upgraded WebSockets still waiting for their key: beyond it the oldest are closed (1013).
    // Default max_connections / 4, at least kMinPendingAuth.
    std::size_t maxPendingAuth = 2500;
    std::size_t maxPendingAuthPerAddress = 64;  // keyless ones from one address: 429 beyond
    // Brute-force protection (auth/AuthThrottle.h): this many failed authentications from one
    // address within a rolling minute refuse its authentications for auth_cooldown_s.
    std::size_t authFailuresPerMinute = 20;  // 0: off
    int authCooldownS = 60;
    int pingIntervalS = 30;
    int sendTimeoutS = 30;                    // a client that accepts no bytes this long is dropped
    std::size_t maxOutboundBytes = 8u << 20;  // per connection, before it counts as too slow
    // A response's unsent bytes beyond which its plugin is slowed down (conversation/Backpressure).
    std::size_t maxResponseBufferBytes = 1u << 20;
    std::size_t maxQueuedMessages = 16;  // per session, while a response runs
    std::size_t historyMaxTurns = 200;   // per session, oldest dropped first
    int workerThreads = 0;               // 0: one per core, at least 2
    int shutdownTimeoutS = 5;
    int drainTimeoutS = 600;             // sessions of a removed route close after this
    std::string stateDir;                // resolved; holds the generated key
    int requestHeadTimeoutS = 10;        // the whole request head must arrive in this time
    std::size_t maxHeaderBytes = 16384;  // request line and headers; 431 beyond
    int keepAliveTimeoutS = 5;           // idle time between plain HTTP requests
    std::string tlsCert;                 // resolved PEM chain path; empty: plain HTTP
    std::string tlsKey;                  // resolved PEM key path
    int tlsHandshakeTimeoutS = 10;
};

// The smallest default max_pending_auth, for servers with a small max_connections.
inline constexpr std::size_t kMinPendingAuth = 16;

// Per-key limits (docs/config.md); unset is unlimited. Enforced by limits/KeyLimits.
struct KeyLimitSettings {
    std::optional<std::uint64_t> maxConnections;         // open WebSockets at once
    std::optional<std::uint64_t> requestsPerMinute;      // client messages per rolling minute
    std::optional<std::uint64_t> maxConcurrentRequests;  // responses running at once
    std::optional<std::uint64_t> tokensPerDay;           // input+output tokens per UTC day
};

struct KeySettings {
    std::string name;
    std::string sha256Hex;  // the key is kept only as its hash, literal or not
    bool allRoutes = true;
    std::vector<std::string> routes;
    bool admin = false;  // may read /metrics and /api/status?detail=full
    KeyLimitSettings limits;
};

struct LogSettings {
    std::string format = "text";        // text | json
    std::string level = "information";  // Poco's level names, fatal ... trace
    std::string file;                   // resolved path; empty: stderr
    bool logContent = false;            // access lines carry the user's message text
    int flushMs = 10;  // lines below warning wait this long to be written together; 0: at once
};

struct StreamingSettings {
    std::size_t chunkChars = 100;
    int chunkDelayMs = 0;
};

struct ConversationSettings {
    // "sqlite" (conversations.db in the state folder), "sqlite:<absolute path>" (resolved
    // against the file's folder), or "none" (conversations live in memory only).
    std::string store = "sqlite";
    int retentionDays = 30;        // 0: keep forever
    std::size_t maxPerKey = 1000;  // 0: no cap
    int retentionIntervalS = 3600;
};

struct MetricsSettings {
    bool enabled = true;       // GET /metrics; read at start (a change needs a restart)
    bool requireAdmin = true;  // else anyone who can reach the port may read it
};

// The chat page (GET / and /app/...), served from a folder of static files.
struct WebSettings {
    bool enabled = true;
    // Resolved folder of index.html and its files; empty: the one installed with the binary
    // (<binary>/../share/agenthost/web; web/StaticSite.h).
    std::string directory;
};

// Where a route's plugin runs (isolation = process | in_process) and, in a runner process,
// what bounds it (docs/config.md).
struct IsolationSettings {
    bool process = false;
    long long memoryMb = 1024;   // runner_memory_mb: resident memory; 0: unbounded
    long long cpuS = 0;          // runner_cpu_s: CPU seconds over the runner's life; 0: unbounded
    long long openFiles = 1024;  // runner_open_files: RLIMIT_NOFILE
    long long timeoutS = 10;     // runner_timeout_s: request_start/instance_health must return
    bool operator==(const IsolationSettings&) const = default;
};

// The libraries that ship with agenthost run in the host's process unless told otherwise.
bool bundledLibrary(const std::string& library);

struct RouteSettings {
    std::string route;                                          // NAME of [plugin.NAME]
    std::string library;                                        // library name, without .so
    std::string libraryPath;                                    // resolved <directory>/<library>.so
    std::vector<std::pair<std::string, std::string>> settings;  // resolved, for the plugin
    long long requestTimeoutS = 0;        // request_timeout_s: cancel a request after it; 0: never
    int approvalTimeoutS = 300;           // an unanswered approval request is decided after it,
    bool approvalTimeoutAccepts = false;  // by approval_policy: decline (the default) or accept
    IsolationSettings isolation;
};

struct Config {
    std::string path;
    ServerSettings server;
    std::vector<KeySettings> keys;
    StreamingSettings streaming;
    ConversationSettings conversations;
    LogSettings log;  // read at start; SIGHUP only reopens the file
    MetricsSettings metrics;
    WebSettings web;
    std::string pluginDirectory;
    // Refuse a plugin folder or library that others could write (see plugin/FileTrust.h).
    bool strictPermissions = true;
    std::vector<RouteSettings> routes;  // enabled ones only
};

struct Problem {
    std::string section;
    std::string key;  // empty when the problem is the whole section or file
    std::string message;
    std::size_t line = 0;  // 1-based line of the file it is about; 0 when none

    std::string describe() const;
};

struct LoadResult {
    Config config;
    std::vector<Problem> errors;    // any error makes the file unusable
    std::vector<Problem> warnings;  // worth telling, not fatal
    bool ok() const { return errors.empty(); }
};

// [a-z0-9_-]{1,64}: what [plugin.NAME] may be called (and so /api/NAME/ws).
bool isRouteName(const std::string& name);

// Reads, resolves (env:/file:) and validates the file. Never throws.
LoadResult loadConfig(const std::string& path);

}  // namespace agenthost::config
