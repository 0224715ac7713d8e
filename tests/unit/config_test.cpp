// config::loadConfig on real ini files in a temp folder.
#include "config/Config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "support/BuildPaths.h"
#include "support/TempDir.h"
#include "util/Digest.h"

namespace agenthost::config {
namespace {

using test::TempDir;

// Whether `problems` holds one for [section] key whose message contains `text`.
bool hasProblem(const std::vector<Problem>& problems, const std::string& section,
                const std::string& key, const std::string& text = "") {
    for (const auto& p : problems)
        if (p.section == section && p.key == key && p.message.find(text) != std::string::npos)
            return true;
    return false;
}

std::string describeAll(const std::vector<Problem>& problems) {
    std::string out;
    for (const auto& p : problems) out += p.describe() + "\n";
    return out;
}

std::string normal(const std::string& path) {
    return std::filesystem::path(path).lexically_normal().string();
}

// Sets an environment variable for the life of a test.
class ScopedEnv {
  public:
    ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
        ::setenv(name_.c_str(), value.c_str(), 1);
    }
    ~ScopedEnv() { ::unsetenv(name_.c_str()); }

  private:
    std::string name_;
};

// A config needs at least one enabled route; tests about other sections add this one.
const std::string kRoute = "[plugin.echo]\n";

class ConfigTest : public ::testing::Test {
  protected:
    LoadResult load(const std::string& ini) { return loadConfig(dir.write("agenthost.ini", ini)); }

    TempDir dir;
};

TEST_F(ConfigTest, OneRouteAndNothingElseGivesTheDefaults) {
    const auto result = load(kRoute);
    ASSERT_TRUE(result.ok()) << describeAll(result.errors);
    const Config& c = result.config;
    EXPECT_EQ(c.server.host, "127.0.0.1");
    EXPECT_EQ(c.server.port, 8080);
    EXPECT_EQ(c.server.authTimeoutS, 10);
    EXPECT_EQ(c.server.maxMessageBytes, 65536u);
    EXPECT_EQ(c.server.maxConnections, 10000u);
    EXPECT_EQ(c.server.pingIntervalS, 30);
    EXPECT_EQ(c.streaming.chunkChars, 100u);
    EXPECT_EQ(c.streaming.chunkDelayMs, 0);
    EXPECT_TRUE(c.keys.empty());
    ASSERT_EQ(c.routes.size(), 1u);
    EXPECT_FALSE(c.server.stateDir.empty());
    EXPECT_EQ(normal(c.pluginDirectory), normal(dir.path() + "/plugins"));
    EXPECT_TRUE(c.strictPermissions);
    EXPECT_TRUE(result.warnings.empty()) << describeAll(result.warnings);
}

TEST_F(ConfigTest, MissingFileIsAnError) {
    const auto result = loadConfig(dir.file("nope.ini"));
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.errors[0].message.find("nope.ini"), std::string::npos);
    EXPECT_NE(result.errors[0].message.find("does not exist"), std::string::npos);
}

TEST_F(ConfigTest, EveryServerAndStreamingKeyIsRead) {
    const auto result = load(
        "[server]\nhost = 0.0.0.0\nport = 9001\nauth_timeout_s = 7\nmax_message_bytes = 4096\n"
        "max_connections = 12\nping_interval_s = 3\nsend_timeout_s = 4\n"
        "max_outbound_bytes = 8192\nmax_queued_messages = 5\nhistory_max_turns = 6\n"
        "worker_threads = 3\nshutdown_timeout_s = 2\ndrain_timeout_s = 60\nstate_dir = state\n"
        "[streaming]\nchunk_chars = 12\nchunk_delay_ms = 25\n" +
        kRoute);
    ASSERT_TRUE(result.ok()) << describeAll(result.errors);
    EXPECT_TRUE(result.warnings.empty()) << describeAll(result.warnings);
    const ServerSettings& s = result.config.server;
    EXPECT_EQ(s.host, "0.0.0.0");
    EXPECT_EQ(s.port, 9001);
    EXPECT_EQ(s.authTimeoutS, 7);
    EXPECT_EQ(s.maxMessageBytes, 4096u);
    EXPECT_EQ(s.maxConnections, 12u);
    EXPECT_EQ(s.pingIntervalS, 3);
    EXPECT_EQ(s.sendTimeoutS, 4);
    EXPECT_EQ(s.maxOutboundBytes, 8192u);
    EXPECT_EQ(s.maxQueuedMessages, 5u);
    EXPECT_EQ(s.historyMaxTurns, 6u);
    EXPECT_EQ(s.workerThreads, 3);
    EXPECT_EQ(s.shutdownTimeoutS, 2);
    EXPECT_EQ(s.drainTimeoutS, 60);
    EXPECT_EQ(normal(s.stateDir), normal(dir.path() + "/state"));
    EXPECT_EQ(result.config.streaming.chunkChars, 12u);
    EXPECT_EQ(result.config.streaming.chunkDelayMs, 25);
}

TEST_F(ConfigTest, StateDirComesFromSystemdStateDirectoryWhenNotConfigured) {
    // systemd's StateDirectory= sets STATE_DIRECTORY (several folders are colon-separated).
    ScopedEnv systemd("STATE_DIRECTORY", "/var/lib/agenthost:/var/lib/other");
    const auto unset = load(kRoute);
    ASSERT_TRUE(unset.ok()) << describeAll(unset.errors);
    EXPECT_EQ(unset.config.server.stateDir, "/var/lib/agenthost");

    const auto configured = load("[server]\nstate_dir = mine\n" + kRoute);
    ASSERT_TRUE(configured.ok()) << describeAll(configured.errors);
    EXPECT_EQ(normal(configured.config.server.stateDir), normal(dir.path() + "/mine"));
}

TEST_F(ConfigTest, InlineCommentsAreStripped) {
    const auto result = load(
        "; a whole-line comment\n[server]\nport = 9002        ; the port\n"
        "host = 127.0.0.1\t; tab before the comment\n"
        "[streaming]\nchunk_chars = 7 ; seven\n"
        "[key.k]\nsecret = abc;def ; a ';' inside a value stays\n" +
        kRoute);
    ASSERT_TRUE(result.ok()) << describeAll(result.errors);
    EXPECT_EQ(result.config.server.port, 9002);
    EXPECT_EQ(result.config.server.host, "127.0.0.1");
    EXPECT_EQ(result.config.streaming.chunkChars, 7u);
    ASSERT_EQ(result.config.keys.size(), 1u);
    EXPECT_EQ(result.config.keys[0].sha256Hex, util::sha256Hex("abc;def"));
}

TEST_F(ConfigTest, InvalidNumbersNameSectionAndKey) {
    const auto result = load(
        "[server]\nport = abc\nmax_connections = 0\nping_interval_s = 5x\n"
        "[streaming]\nchunk_chars = 0\nchunk_delay_ms = -1\n" +
        kRoute);
    EXPECT_FALSE(result.ok());
    EXPECT_TRUE(hasProblem(result.errors, "server", "port", "\"abc\""))
        << describeAll(result.errors);
    EXPECT_TRUE(hasProblem(result.errors, "server", "max_connections"));
    EXPECT_TRUE(hasProblem(result.errors, "server", "ping_interval_s", "\"5x\""));
    EXPECT_TRUE(hasProblem(result.errors, "streaming", "chunk_chars", "\"0\""));
    EXPECT_TRUE(hasProblem(result.errors, "streaming", "chunk_delay_ms"));
    EXPECT_EQ(result.errors.size(), 5u) << describeAll(result.errors);
    for (const auto& p : result.errors) {
        const std::string text = p.describe();
        EXPECT_EQ(text.rfind("[" + p.section + "] " + p.key + ": ", 0), 0u) << text;
    }
}

TEST_F(ConfigTest, LogFlushMsDefaultsToTenAndStaysWithinTenSeconds) {
    const auto defaults = load(kRoute);
    ASSERT_TRUE(defaults.ok()) << describeAll(defaults.errors);
    EXPECT_EQ(defaults.config.log.flushMs, 10);
    const auto unbuffered = load("[log]\nflush_ms = 0\n" + kRoute);
    ASSERT_TRUE(unbuffered.ok()) << describeAll(unbuffered.errors);
    EXPECT_EQ(unbuffered.config.log.flushMs, 0);
    EXPECT_TRUE(hasProblem(load("[log]\nflush_ms = 10001\n" + kRoute).errors, "log", "flush_ms"));
    EXPECT_TRUE(hasProblem(load("[log]\nflush_ms = -1\n" + kRoute).errors, "log", "flush_ms"));
}

TEST_F(ConfigTest, PortAboveRangeIsAnError) {
    EXPECT_TRUE(hasProblem(load("[server]\nport = 65536\n").errors, "server", "port"));
}

TEST_F(ConfigTest, PendingAuthCapsDefaultToAShareOfMaxConnections) {
    const ServerSettings defaults = load(kRoute).config.server;
    EXPECT_EQ(defaults.maxPendingAuth, 2500u);  // a quarter of 10000
    EXPECT_EQ(defaults.maxPendingAuthPerAddress, 64u);
    EXPECT_EQ(load("[server]\nmax_connections = 2000\n" + kRoute).config.server.maxPendingAuth,
              500u);
    EXPECT_EQ(load("[server]\nmax_connections = 10\n" + kRoute).config.server.maxPendingAuth,
              kMinPendingAuth);
    const auto set = load(
        "[server]\nmax_connections = 2000\nmax_pending_auth = 7\n"
        "max_pending_auth_per_address = 3\n" +
        kRoute);
    ASSERT_TRUE(set.ok()) << describeAll(set.errors);
    EXPECT_EQ(set.config.server.maxPendingAuth, 7u);
    EXPECT_EQ(set.config.server.maxPendingAuthPerAddress, 3u);
    const auto bad = load("[server]\nmax_pending_auth = 0\nmax_pending_auth_per_address = x\n");
    EXPECT_TRUE(hasProblem(bad.errors, "server", "max_pending_auth", "\"0\""));
    EXPECT_TRUE(hasProblem(bad.errors, "server", "max_pending_auth_per_address", "\"x\""));
}

TEST_F(ConfigTest, UnknownKeysAndSectionsAreWarnings) {
    const auto result = load(
        "[server]\nprot = 1\n[streaming]\nchunk_size = 3\n[plugins]\ndir = x\n"
        "[serverr]\nport = 1\n[key.k]\nsecret = s\nplugin = echo\n" +
        kRoute);
    ASSERT_TRUE(result.ok()) << describeAll(result.errors);
    EXPECT_TRUE(hasProblem(result.warnings, "server", "prot", "unknown"));
    EXPECT_TRUE(hasProblem(result.warnings, "streaming", "chunk_size", "unknown"));
    EXPECT_TRUE(hasProblem(result.warnings, "plugins", "dir", "unknown"));
    EXPECT_TRUE(hasProblem(result.warnings, "serverr", "", "unknown section"));
    EXPECT_TRUE(hasProblem(result.warnings, "key.k", "plugin", "unknown"));
}

TEST_F(ConfigTest, LiteralAndHashedKeysAreKeptAsHashes) {
    const std::string hash = util::sha256Hex("hashed-secret");
    std::string upperHash = hash;
    for (auto& ch : upperHash) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    const auto result = load(
        "[key.one]\nsecret = literal-secret\nplugins = echo, claude\n"
        "[key.two]\nsecret = sha256:" +
        upperHash + "\n" + kRoute);
    ASSERT_TRUE(result.ok()) << describeAll(result.errors);
    ASSERT_EQ(result.config.keys.size(), 2u);
    const auto& one =
        result.config.keys[0].name == "one" ? result.config.keys[0] : result.config.keys[1];
    const auto& two =
        result.config.keys[0].name == "two" ? result.config.keys[0] : result.config.keys[1];
    EXPECT_EQ(one.sha256Hex, util::sha256Hex("literal-secret"));
    EXPECT_FALSE(one.allRoutes);
    EXPECT_EQ(one.routes, (std::vector<std::string>{"echo", "claude"}));
    EXPECT_EQ(two.sha256Hex, hash);
    EXPECT_TRUE(two.allRoutes);
    // Routes a key names but nobody serves are worth a warning.
    EXPECT_TRUE(hasProblem(result.warnings, "key.one", "plugins", "\"claude\""));
}

TEST_F(ConfigTest, KeyLimitsAreReadAndUnsetMeansUnlimited) {
    const auto result = load(
        "[key.limited]\nsecret = one\nmax_connections = 20\nrequests_per_minute = 60\n"
        "max_concurrent_requests = 4  ; responses at once\ntokens_per_day = 2000000\n"
        "[key.free]\nsecret = two\n" +
        kRoute);
    ASSERT_TRUE(result.ok()) << describeAll(result.errors);
    EXPECT_TRUE(result.warnings.empty()) << describeAll(result.warnings);
    ASSERT_EQ(result.config.keys.size(), 2u);
    const auto& limited = result.config.keys[0].limits;
    EXPECT_EQ(limited.maxConnections, 20u);
    EXPECT_EQ(limited.requestsPerMinute, 60u);
    EXPECT_EQ(limited.maxConcurrentRequests, 4u);
    EXPECT_EQ(limited.tokensPerDay, 2000000u);
    const auto& free = result.config.keys[1].limits;
    EXPECT_FALSE(free.maxConnections || free.requestsPerMinute || free.maxConcurrentRequests ||
                 free.tokensPerDay);
}

TEST_F(ConfigTest, InvalidKeyLimitsNameTheKeyAndTheRange) {
    const auto result = load(
        "[key.a]\nsecret = one\nmax_connections = 0\nrequests_per_minute = lots\n"
        "max_concurrent_requests = -1\ntokens_per_day = 1.5\n" +
        kRoute);
    EXPECT_FALSE(result.ok());
    EXPECT_TRUE(hasProblem(result.errors, "key.a", "max_connections", "from 1 to"))
        << describeAll(result.errors);
    EXPECT_TRUE(hasProblem(result.errors, "key.a", "requests_per_minute", "\"lots\""));
    EXPECT_TRUE(hasProblem(result.errors, "key.a", "max_concurrent_requests", "\"-1\""));
    EXPECT_TRUE(hasProblem(result.errors, "key.a", "tokens_per_day", "\"1.5\""));
    EXPECT_EQ(result.errors.size(), 4u) << describeAll(result.errors);
}

TEST_F(ConfigTest, BadHashIsAnError) {
    const auto result =
        load("[key.a]\nsecret = sha256:abc\n[key.b]\nsecret = sha256:" + std::string(64, 'g') +
             "\n[key.c]\n");
    EXPECT_TRUE(hasProblem(result.errors, "key.a", "secret", "64 hex"))
        << describeAll(result.errors);
    EXPECT_TRUE(hasProblem(result.errors, "key.b", "secret", "64 hex"));
    EXPECT_TRUE(hasProblem(result.errors, "key.c", "secret", "missing"));
}

TEST_F(ConfigTest, EnvAndFileSecretsAreResolved) {
    ScopedEnv env("AGENTHOST_UNIT_TEST_KEY", "from-the-environment");
    dir.write("keys/phone.key", "from-a-file\n");
    const auto result = load(
        "[key.env]\nsecret = env:AGENTHOST_UNIT_TEST_KEY\n"
        "[key.file]\nsecret = file:keys/phone.key\n" +
        kRoute);
    ASSERT_TRUE(result.ok()) << describeAll(result.errors);
    ASSERT_EQ(result.config.keys.size(), 2u);
    for (const auto& key : result.config.keys) {
        const std::string expected = key.name == "env" ? "from-the-environment" : "from-a-file";
        EXPECT_EQ(key.sha256Hex, util::sha256Hex(expected)) << key.name;
    }
}

TEST_F(ConfigTest, UnresolvableEnvNamesTheVariableAndNoSecret) {
    ::unsetenv("AGENTHOST_UNIT_TEST_MISSING");
    ScopedEnv empty("AGENTHOST_UNIT_TEST_EMPTY", "");
    const auto result = load(
        "[key.a]\nsecret = env:AGENTHOST_UNIT_TEST_MISSING\n"
        "[key.b]\nsecret = env:AGENTHOST_UNIT_TEST_EMPTY\n"
        "[key.c]\nsecret = file:missing.key\n");
    EXPECT_TRUE(hasProblem(result.errors, "key.a", "secret", "AGENTHOST_UNIT_TEST_MISSING"))
        << describeAll(result.errors);
    EXPECT_TRUE(hasProblem(result.errors, "key.b", "secret", "AGENTHOST_UNIT_TEST_EMPTY"));
    EXPECT_TRUE(hasProblem(result.errors, "key.c", "secret", "missing.key"));
}

TEST_F(ConfigTest, ASecretFileIsReadUpTo64KiBAndNoFurther) {
    // /dev/zero never ends: without the bound, loading the config would read until memory ran out.
    const auto result = load("[key.zero]\nsecret = file:/dev/zero\n");
    EXPECT_TRUE(hasProblem(result.errors, "key.zero", "secret", "larger than 64 KiB"))
        << describeAll(result.errors);
}

TEST_F(ConfigTest, ProblemsNeverShowSecrets) {
    ScopedEnv secret("AGENTHOST_UNIT_TEST_SECRET", "sk-very-secret-value");
    const auto result = load(
        "[key.a]\nsecret = literal-secret-value\nplugins = Not A Route\n"
        "[key.b]\nsecret = env:AGENTHOST_UNIT_TEST_SECRET\nextra = 1\n"
        "[plugin.echo]\napi_key = env:AGENTHOST_UNIT_TEST_SECRET\n"
        "other = env:AGENTHOST_UNIT_TEST_NOPE\n");
    EXPECT_FALSE(result.ok());
    EXPECT_TRUE(hasProblem(result.errors, "plugin.echo", "other", "AGENTHOST_UNIT_TEST_NOPE"));
    const std::string all = describeAll(result.errors) + describeAll(result.warnings);
    EXPECT_EQ(all.find("sk-very-secret-value"), std::string::npos) << all;
    EXPECT_EQ(all.find("literal-secret-value"), std::string::npos) << all;
}

TEST_F(ConfigTest, RoutesGetResolvedSettingsAndLibraryPaths) {
    ScopedEnv env("AGENTHOST_UNIT_TEST_API_KEY", "sk-test");
    dir.write("conf/model.txt", "model-from-file\n");
    const auto result = loadConfig(
        dir.write("conf/agenthost.ini",
                  "[plugins]\ndirectory = ../libs\n"
                  "[plugin.claude]\nlibrary = claude\napi_key = env:AGENTHOST_UNIT_TEST_API_KEY\n"
                  "model = file:model.txt\nmax_tokens = 10 ; ten\n"
                  "[plugin.echo]\n"));
    ASSERT_TRUE(result.ok()) << describeAll(result.errors);
    EXPECT_EQ(normal(result.config.pluginDirectory), normal(dir.path() + "/libs"));
    ASSERT_EQ(result.config.routes.size(), 2u);
    for (const auto& route : result.config.routes) {
        if (route.route == "echo") {
            EXPECT_EQ(route.library, "echo");  // defaults to the route name
            EXPECT_EQ(normal(route.libraryPath), normal(dir.path() + "/libs/echo.so"));
            EXPECT_TRUE(route.settings.empty());
            continue;
        }
        EXPECT_EQ(route.route, "claude");
        EXPECT_EQ(normal(route.libraryPath), normal(dir.path() + "/libs/claude.so"));
        std::map<std::string, std::string> settings(route.settings.begin(), route.settings.end());
        EXPECT_EQ(settings,
                  (std::map<std::string, std::string>{
                      {"api_key", "sk-test"}, {"model", "model-from-file"}, {"max_tokens", "10"}}));
    }
}

TEST_F(ConfigTest, ApprovalTimeoutIsAHostKeyNotPassedToThePlugin) {
    auto result = load(
        "[plugin.echo]\n[plugin.ask]\nlibrary = echo\napproval_timeout_s = 5\n"
        "ask_approval = true\n");
    ASSERT_TRUE(result.ok()) << describeAll(result.errors);
    ASSERT_EQ(result.config.routes.size(), 2u);
    for (const auto& route : result.config.routes) {
        if (route.route == "echo") {
            EXPECT_EQ(route.approvalTimeoutS, 300);  // the default
            continue;
        }
        EXPECT_EQ(route.approvalTimeoutS, 5);
        EXPECT_EQ(route.settings,
                  (std::vector<std::pair<std::string, std::string>>{{"ask_approval", "true"}}));
    }
    for (const char* bad : {"0", "-1", "86401", "soon"}) {
        result = load(std::string("[plugin.echo]\napproval_timeout_s = ") + bad + "\n");
        EXPECT_TRUE(hasProblem(result.errors, "plugin.echo", "approval_timeout_s", "whole number"))
            << bad;
    }
}

// approval_policy is the host's (what an unanswered approval gets at approval_timeout_s) and
// the plugin's (what it answers when no client can be asked), so it is read and passed on.
TEST_F(ConfigTest, ApprovalPolicyIsReadByTheHostAndPassedToThePlugin) {
    auto result = load("[plugin.echo]\n[plugin.ask]\nlibrary = echo\napproval_policy = accept\n");
    ASSERT_TRUE(result.ok()) << describeAll(result.errors);
    ASSERT_EQ(result.config.routes.size(), 2u);
    for (const auto& route : result.config.routes) {
        EXPECT_EQ(route.approvalTimeoutAccepts, route.route == "ask") << route.route;
        if (route.route != "ask") continue;
        EXPECT_EQ(
            route.settings,
            (std::vector<std::pair<std::string, std::string>>{{"approval_policy", "accept"}}));
    }
    result = load("[plugin.echo]\napproval_policy = ask_me\n");
    EXPECT_TRUE(hasProblem(result.errors, "plugin.echo", "approval_policy", "decline or accept"));
}

TEST_F(ConfigTest, AbsolutePluginDirectoryIsKept) {
    const auto result = load("[plugins]\ndirectory = /opt/agenthost/plugins\n[plugin.echo]\n");
    ASSERT_TRUE(result.ok()) << describeAll(result.errors);
    EXPECT_EQ(normal(result.config.pluginDirectory), "/opt/agenthost/plugins");
    ASSERT_EQ(result.config.routes.size(), 1u);
    EXPECT_EQ(normal(result.config.routes[0].libraryPath), "/opt/agenthost/plugins/echo.so");
}

TEST_F(ConfigTest, DisabledRouteIsDroppedWithoutResolvingItsSettings) {
    const auto result = load(
        "[plugin.echo]\nenabled = true\n"
        "[plugin.off]\nenabled = false\napi_key = env:AGENTHOST_UNIT_TEST_NOPE\n");
    ASSERT_TRUE(result.ok()) << describeAll(result.errors);
    ASSERT_EQ(result.config.routes.size(), 1u);
    EXPECT_EQ(result.config.routes[0].route, "echo");
}

TEST_F(ConfigTest, InvalidEnabledValueIsAnError) {
    const auto result = load("[plugin.echo]\nenabled = maybe\n");
    EXPECT_TRUE(hasProblem(result.errors, "plugin.echo", "enabled", "maybe"))
        << describeAll(result.errors);
}

TEST_F(ConfigTest, RouteNamesAreValidated) {
    const auto result =
        load("[plugin.Bad!]\n[plugin." + std::string(65, 'a') + "]\n" + "[plugin.ok_name-2]\n");
    EXPECT_TRUE(hasProblem(result.errors, "plugin.Bad!", "", "route name"))
        << describeAll(result.errors);
    EXPECT_TRUE(hasProblem(result.errors, "plugin." + std::string(65, 'a'), "", "route name"));
    EXPECT_FALSE(hasProblem(result.errors, "plugin.ok_name-2", ""));
}

TEST_F(ConfigTest, LibraryMustBeAPlainName) {
    const auto result = load("[plugin.echo]\nlibrary = ../evil\n");
    EXPECT_TRUE(hasProblem(result.errors, "plugin.echo", "library")) << describeAll(result.errors);
}

TEST_F(ConfigTest, IsolationDefaultsToAProcessForLibrariesThatDoNotShipWithAgenthost) {
    const auto result = load(
        "[plugin.echo]\n[plugin.claude]\n[plugin.codex]\nlibrary = codex_bridgehub\n"
        "[plugin.other]\nlibrary = third_party\nrunner_memory_mb = 64\nrunner_cpu_s = 30\n"
        "runner_open_files = 100\nrunner_timeout_s = 3\ncolour = blue\n"
        "[plugin.pinned]\nlibrary = third_party\nisolation = in_process\n"
        "[plugin.caged]\nlibrary = echo\nisolation = process\n");
    ASSERT_TRUE(result.ok()) << describeAll(result.errors);
    std::map<std::string, RouteSettings> routes;
    for (const auto& route : result.config.routes) routes[route.route] = route;
    EXPECT_FALSE(routes["echo"].isolation.process);
    EXPECT_FALSE(routes["claude"].isolation.process);
    EXPECT_FALSE(routes["codex"].isolation.process);
    EXPECT_FALSE(routes["pinned"].isolation.process);
    EXPECT_TRUE(routes["caged"].isolation.process);
    const auto& other = routes["other"];
    EXPECT_TRUE(other.isolation.process);
    EXPECT_EQ(other.isolation.memoryMb, 64);
    EXPECT_EQ(other.isolation.cpuS, 30);
    EXPECT_EQ(other.isolation.openFiles, 100);
    EXPECT_EQ(other.isolation.timeoutS, 3);
    // The host's keys are not the plugin's settings.
    ASSERT_EQ(other.settings.size(), 1u);
    EXPECT_EQ(other.settings[0].first, "colour");
}

TEST_F(ConfigTest, IsolationValuesAreChecked) {
    const auto result =
        load("[plugin.echo]\nisolation = sandboxed\nrunner_timeout_s = 0\nrunner_open_files = 2\n");
    EXPECT_TRUE(hasProblem(result.errors, "plugin.echo", "isolation"))
        << describeAll(result.errors);
    EXPECT_TRUE(hasProblem(result.errors, "plugin.echo", "runner_timeout_s"));
    EXPECT_TRUE(hasProblem(result.errors, "plugin.echo", "runner_open_files"));
}

TEST_F(ConfigTest, KeyAllowlistNamesMustBeRouteNames) {
    const auto result = load("[key.k]\nsecret = s\nplugins = echo, Not A Route\n[plugin.echo]\n");
    EXPECT_TRUE(hasProblem(result.errors, "key.k", "plugins", "Not A Route"))
        << describeAll(result.errors);
}

TEST_F(ConfigTest, StrictPermissionsCanBeTurnedOff) {
    const auto result = load("[plugins]\nstrict_permissions = false\n" + kRoute);
    ASSERT_TRUE(result.ok()) << describeAll(result.errors);
    EXPECT_FALSE(result.config.strictPermissions);
    EXPECT_TRUE(hasProblem(load("[plugins]\nstrict_permissions = maybe\n" + kRoute).errors,
                           "plugins", "strict_permissions", "maybe"));
}

// Whether `problems` holds one at `line` whose description contains `text`.
bool hasLineProblem(const std::vector<Problem>& problems, std::size_t line,
                    const std::string& text) {
    for (const auto& p : problems)
        if (p.line == line && p.describe().find(text) != std::string::npos) return true;
    return false;
}

TEST_F(ConfigTest, EmptyFileIsAnError) {
    for (const std::string ini : {"", "\n\n", "; only a comment\n# and another\n"}) {
        const auto result = load(ini);
        ASSERT_FALSE(result.ok()) << ini;
        EXPECT_TRUE(hasProblem(result.errors, "", "", "the file is empty"))
            << describeAll(result.errors);
    }
}

TEST_F(ConfigTest, ConfigWithoutAnEnabledRouteIsAnError) {
    for (const std::string ini : {"[server]\nport = 9000\n", "[plugin.off]\nenabled = false\n"}) {
        const auto result = load(ini);
        EXPECT_TRUE(hasProblem(result.errors, "plugin.*", "", "no enabled [plugin.NAME] section"))
            << ini << describeAll(result.errors);
    }
}

TEST_F(ConfigTest, DirectoryInsteadOfAFileIsAnError) {
    const auto result = loadConfig(dir.path());
    ASSERT_FALSE(result.ok());
    EXPECT_TRUE(hasProblem(result.errors, "", "", "is not a regular file"))
        << describeAll(result.errors);
}

TEST_F(ConfigTest, BinaryGarbageNamesItsFirstLineOnly) {
    std::string garbage = kRoute + "repeat = 2\n";
    garbage += std::string(
        "\x7f"
        "ELF\x02\x01\x01\0\0\0\n",
        11);
    for (int i = 0; i < 100; ++i) garbage += std::string("\x01\xff\xfe\0\n", 5);
    const auto result = load(garbage);
    ASSERT_EQ(result.errors.size(), 1u) << describeAll(result.errors);
    EXPECT_TRUE(hasLineProblem(result.errors, 3, "line 3: not text")) << describeAll(result.errors);
}

TEST_F(ConfigTest, InvalidUtf8IsNotText) {
    const auto result = load(kRoute + "model = \xc3\x28\n");
    EXPECT_TRUE(hasLineProblem(result.errors, 2, "not text")) << describeAll(result.errors);
}

TEST_F(ConfigTest, NonIniLinesNameTheirLineWithoutQuotingThem) {
    const auto result = load("[key.k]\nsecret = s\nsk-pasted-secret-value\n" + kRoute +
                             "= no key\n[plugin.x\n[plugin.y] trailing words\n");
    EXPECT_TRUE(hasLineProblem(result.errors, 3, "line 3 [key.k]: neither [section], key = value"))
        << describeAll(result.errors);
    EXPECT_TRUE(hasLineProblem(result.errors, 5, "not an ini line"));
    EXPECT_TRUE(hasLineProblem(result.errors, 6, "line 6: malformed section header"));
    EXPECT_TRUE(hasLineProblem(result.errors, 7, "malformed section header"));
    EXPECT_EQ(result.errors.size(), 4u) << describeAll(result.errors);
    EXPECT_EQ(describeAll(result.errors).find("sk-pasted"), std::string::npos);
}

TEST_F(ConfigTest, ManyBadLinesAreCappedWithACount) {
    std::string ini = kRoute;
    for (int i = 0; i < 30; ++i) ini += "garbage\n";
    const auto result = load(ini);
    ASSERT_EQ(result.errors.size(), 11u) << describeAll(result.errors);
    EXPECT_EQ(result.errors.back().message, "and 20 more problem(s) like these");
}

TEST_F(ConfigTest, DuplicateSectionNamesBothLines) {
    const auto result = load("[key.main]\nsecret = first-secret\n" + kRoute +
                             "\n[key.main]\nsecret = second-secret\n[SERVER]\n[server]\n");
    EXPECT_TRUE(
        hasLineProblem(result.errors, 5, "line 5 [key.main]: duplicate section, first at line 1"))
        << describeAll(result.errors);
    EXPECT_TRUE(hasLineProblem(result.errors, 8, "[server]: duplicate section, first at line 7"));
    EXPECT_EQ(result.errors.size(), 2u) << describeAll(result.errors);
}

TEST_F(ConfigTest, DuplicateKeyNamesBothLines) {
    const auto result =
        load("[key.a]\nsecret = one\n[key.b]\nsecret = two\n" + kRoute +
             "repeat = 1\n; repeat = 3\nRepeat = 2\nenv.HOME = /a\nenv.home = /b\n");
    EXPECT_TRUE(hasLineProblem(result.errors, 8,
                               "line 8 [plugin.echo] Repeat: duplicate key, first set at line 6"))
        << describeAll(result.errors);
    EXPECT_TRUE(hasLineProblem(result.errors, 10, "env.home: duplicate key, first set at line 9"));
    EXPECT_EQ(result.errors.size(), 2u) << describeAll(result.errors);  // secret twice is fine
}

TEST_F(ConfigTest, CommentsHeaderCommentsAndCrlfAreFine) {
    const auto result = load(
        "; agenthost\r\n# also a comment\r\n\r\n[plugin.echo]   ; route /api/echo/ws\r\n"
        "repeat = 2\r\n[key.k]\t# the phone\r\nsecret = s\r\n");
    ASSERT_TRUE(result.ok()) << describeAll(result.errors);
    ASSERT_EQ(result.config.routes.size(), 1u);
    EXPECT_EQ(result.config.routes[0].settings,
              (std::vector<std::pair<std::string, std::string>>{{"repeat", "2"}}));
    ASSERT_EQ(result.config.keys.size(), 1u);
    EXPECT_EQ(result.config.keys[0].sha256Hex, util::sha256Hex("s"));
}

TEST_F(ConfigTest, TheShippedExampleIsValid) {
    const auto result = loadConfig(test::sourceDirectory() + "/config/agenthost.ini");
    EXPECT_TRUE(result.ok()) << describeAll(result.errors);
}

}  // namespace
}  // namespace agenthost::config
