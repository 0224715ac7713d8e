// Plugins in runner processes (isolation = process): a plugin that segfaults, aborts on a
// thread, hangs in request_start or instance_health, or leaks memory (tests/faults/fixtures/
// bad_plugin.c) ends the running request with plugin_crashed or plugin_unresponsive, its route
// reports degraded with the reason, the runner comes back for the next message, and an echo
// route in the host's own process keeps round-tripping throughout.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "support/HostProcess.h"
#include "support/PluginFolder.h"
#include "support/RssPeak.h"
#include "support/SlowReader.h"
#include "support/TempDir.h"
#include "support/Wait.h"
#include "support/WsClient.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// How long a plugin call may take before the runner counts as unresponsive, in seconds.
const int kRunnerTimeoutS = 2 * kSanitizerSlowdown;

// Chats on the in-process echo route on its own thread; counts replies, keeps the first failure.
class EchoProbe {
  public:
    explicit EchoProbe(const HostProcess& host) : client_(host.port(), "/api/echo/ws") {
        client_.authenticate(kTestKey);
        thread_ = std::thread([this] { run(); });
    }
    ~EchoProbe() { stop(); }
    void stop() {
        done_ = true;
        if (thread_.joinable()) thread_.join();
    }
    int replies() const { return replies_; }
    std::string failure() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return failure_;
    }
    Clock::duration slowest() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return slowest_;
    }

  private:
    void run() {
        try {
            while (!done_) {
                const std::string text = "probe " + std::to_string(replies_.load());
                const auto sent = Clock::now();
                const auto reply = client_.chat(text, 10s);
                const auto took = Clock::now() - sent;
                std::lock_guard<std::mutex> lock(mutex_);
                if (reply.terminalType() != "complete" || reply.text != text) {
                    failure_ = "wrong reply to \"" + text + "\": " + reply.text;
                    return;
                }
                slowest_ = std::max(slowest_, took);
                ++replies_;
                std::this_thread::sleep_for(5ms);
            }
        } catch (const std::exception& e) {
            std::lock_guard<std::mutex> lock(mutex_);
            failure_ = e.what();
        }
    }
    WsClient client_;
    std::thread thread_;
    std::atomic<bool> done_{false};
    std::atomic<int> replies_{0};
    mutable std::mutex mutex_;
    std::string failure_;
    Clock::duration slowest_{0};
};

class PluginIsolation : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        plugins_ = new TempDir();
        HostConfig config;
        config.pluginDirectory = pluginFolderWithEcho(*plugins_, {{BAD_PLUGIN, "bad_plugin.so"}});
        config.sections = "[key.test]\nsecret = " + std::string(kTestKey) +
                          "\n\n[plugin.echo]\nlibrary = echo\n"
                          "\n[plugin.bad]\nlibrary = bad_plugin\nrunner_timeout_s = " +
                          std::to_string(kRunnerTimeoutS) + "\nrunner_memory_mb = " +
                          std::to_string(kSanitizerSlowdown > 1 ? 512 : 256) +
                          "\n"
                          "\n[plugin.isolated_echo]\nlibrary = echo\nisolation = process\n"
                          "events = true\n";
        host_ = new HostProcess(config);
    }
    static void TearDownTestSuite() {
        EXPECT_EQ(host_->stop(), 0) << host_->output();
        delete host_;
        delete plugins_;
    }

    // Sends `message` to the bad route and returns its reply, with an echo probe running.
    Reply misbehave(const std::string& message) {
        EchoProbe probe(*host_);
        WsClient client(host_->port(), "/api/bad/ws");
        client.authenticate(kTestKey);
        auto reply = client.chat(message, std::chrono::seconds(4 * kRunnerTimeoutS + 20));
        // The in-process route went on meanwhile, and went on promptly.
        waitUntil([&] { return probe.replies() >= 3; }, 10s);
        probe.stop();
        EXPECT_EQ(probe.failure(), "");
        EXPECT_GE(probe.replies(), 3);
        EXPECT_LT(probe.slowest(), 1s * kSanitizerSlowdown);
        return reply;
    }

    // The bad route's health entry in /api/health.
    Poco::JSON::Object::Ptr badHealth() {
        auto health = parseJson(host_->get("/api/health").body);
        return health->getObject("plugins")->getObject("bad");
    }

    // The runner answers again: a plain message echoes, with the plugin's status event.
    void expectRunnerBack() {
        WsClient client(host_->port(), "/api/bad/ws?protocol=2");
        client.authenticate(kTestKey);
        const auto reply = client.chat("are you back?", 30s);
        ASSERT_EQ(reply.terminalType(), "complete") << describeFrames(reply.frames);
        EXPECT_EQ(reply.text, "are you back?");
    }

    void expectError(const Reply& reply, const std::string& code, const std::string& saying) {
        ASSERT_EQ(reply.terminalType(), "error") << describeFrames(reply.frames);
        EXPECT_EQ(reply.terminal->getValue<std::string>("code"), code);
        EXPECT_NE(reply.terminal->getValue<std::string>("content").find(saying), std::string::npos)
            << reply.terminal->getValue<std::string>("content");
        auto health = badHealth();
        EXPECT_EQ(health->getValue<std::string>("status"), "degraded");
        EXPECT_NE(health->getValue<std::string>("detail").find(saying), std::string::npos)
            << health->getValue<std::string>("detail");
    }

    static TempDir* plugins_;
    static HostProcess* host_;
};

TempDir* PluginIsolation::plugins_ = nullptr;
HostProcess* PluginIsolation::host_ = nullptr;

// What a crash by `signal` says; sanitizers catch segfaults themselves and exit instead.
std::string crashedBy(const std::string& signal) {
    return kSanitizerSlowdown > 1 ? "its runner" : signal;
}

TEST_F(PluginIsolation, IsolatedEchoRoundTripsWithEvents) {
    WsClient client(host_->port(), "/api/isolated_echo/ws?protocol=2");
    client.authenticate(kTestKey);
    for (int i = 0; i < 3; ++i) {
        const std::string text = "hello " + std::to_string(i) + " ünïcödé";
        const auto reply = client.chat(text);
        ASSERT_EQ(reply.terminalType(), "complete") << describeFrames(reply.frames);
        EXPECT_EQ(reply.text, text);
        int events = 0;
        for (const auto& frame : reply.frames)
            if (frame->getValue<std::string>("type") == "event") ++events;
        EXPECT_EQ(events, 2) << describeFrames(reply.frames);  // thinking and status
    }
    auto status = parseJson(host_->get("/api/health").body);
    EXPECT_EQ(
        status->getObject("plugins")->getObject("isolated_echo")->getValue<std::string>("status"),
        "ok");
}

TEST_F(PluginIsolation, ARefusalReachesTheClientWithThePluginsCode) {
    WsClient client(host_->port(), "/api/bad/ws");
    client.authenticate(kTestKey);
    const auto reply = client.chat("refuse");
    ASSERT_EQ(reply.terminalType(), "error");
    EXPECT_EQ(reply.terminal->getValue<std::string>("code"), "refused_on_purpose");
}

TEST_F(PluginIsolation, ASegfaultInRequestStartEndsTheRequestAsCrashed) {
    expectError(misbehave("segfault"), "plugin_crashed", crashedBy("SIGSEGV"));
    expectRunnerBack();
}

TEST_F(PluginIsolation, AnAbortOnAPluginThreadEndsTheRequestAsCrashed) {
    expectError(misbehave("abort_thread"), "plugin_crashed", "SIGABRT");
    expectRunnerBack();
}

TEST_F(PluginIsolation, AHangInRequestStartEndsTheRequestAsUnresponsive) {
    expectError(misbehave("hang_start"), "plugin_unresponsive", "request_start");
    expectRunnerBack();
}

TEST_F(PluginIsolation, AHangInHealthEndsTheRunningRequestAsUnresponsive) {
    expectError(misbehave("hang_health"), "plugin_unresponsive", "instance_health");
    expectRunnerBack();
}

TEST_F(PluginIsolation, AMemoryLeakIsStoppedAtTheLimit) {
    expectError(misbehave("leak"), "plugin_crashed", "runner_memory_mb");
    expectRunnerBack();
}

// A C plugin without AGENTHOST_PLUGIN_HONORS_SLOW_DOWN emits 200 MB in one call to a reader
// that takes about 30 MB/s: its runner holds it between the pieces while the host says the
// reader is behind, so the host's memory stays within a few MB, the reader gets every byte, and
// the in-process echo goes on meanwhile.
TEST(PluginIsolationFlood, A200MBEmitIsHeldInItsRunnerAtItsReadersPace) {
    TempDir plugins;
    HostConfig config;
    config.pluginDirectory = pluginFolderWithEcho(plugins, {{BAD_PLUGIN, "bad_plugin.so"}});
    config.sections = "[key.test]\nsecret = " + std::string(kTestKey) +
                      "\n\n[plugin.echo]\nlibrary = echo\n\n[plugin.bad]\nlibrary = bad_plugin\n"
                      "runner_memory_mb = 0\n\n[streaming]\nchunk_chars = 16384\n"
                      "\n[conversations]\nstore = none\n";
    // runner_memory_mb = 0: the plugin's own 200 MB (more under the sanitizers' shadow memory)
    // are not what this test is about; the host's memory is.
    HostProcess host(config);
    const long baseline = host.rssKb();
    RssPeak peak(host);
    EchoProbe probe(host);
    WsClient client(host.port(), "/api/bad/ws");
    client.authenticate(kTestKey);
    client.sendMessage("flood");
    SlowReader reader(client);
    long long received = 0;
    Poco::JSON::Object::Ptr frame;
    for (frame = reader.next(); frame->getValue<std::string>("type") == "message";
         frame = reader.next()) {
        const auto content = frame->getValue<std::string>("content");
        ASSERT_EQ(content.find_first_not_of('x'), std::string::npos) << "at byte " << received;
        received += static_cast<long long>(content.size());
    }
    const long highest = peak.stop();
    probe.stop();
    EXPECT_EQ(frame->getValue<std::string>("type"), "complete");
    EXPECT_EQ(received, 200ll << 20);
    EXPECT_EQ(probe.failure(), "");
    EXPECT_GT(probe.replies(), 0);
    if (!kRssIsMeaningful) return;
    // On top of the response's bound comes what the runner sends before it hears the Pace frame
    // (1 MiB pieces, as fast as the socket pair takes them): 47 MB seen beside another test on
    // two cores. Never the whole emit: without the hold, the client is dropped instead.
    EXPECT_LT(highest - baseline, 100 * 1024)
        << "RSS went from " << baseline / 1024 << " MB to " << highest / 1024 << " MB";
}

// The processes `parent` started that are still there (zombies included).
std::set<int> childrenOf(int parent) {
    std::set<int> children;
    for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(parent) + "/task")) {
        std::ifstream in(task.path() / "children");
        int pid;
        while (in >> pid) children.insert(pid);
    }
    return children;
}

// Whether `pid` is a zombie (ended, not reaped).
bool zombie(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(in, line);
    const auto close = line.rfind(')');
    return close != std::string::npos && line.size() > close + 2 && line[close + 2] == 'Z';
}

TEST(PluginIsolationReload, AReloadReplacesTheRunnerAndReapsTheOldOne) {
    HostConfig config;
    config.sections = "[key.test]\nsecret = " + std::string(kTestKey) +
                      "\n\n[plugin.echo]\nlibrary = echo\nisolation = process\n";
    HostProcess host(config);
    const auto before = childrenOf(host.pid());
    ASSERT_EQ(before.size(), 1u);
    {
        WsClient client(host.port(), "/api/echo/ws");
        client.authenticate(kTestKey);
        EXPECT_EQ(client.chat("before").text, "before");
    }
    config.sections += "repeat = 2\n";  // new settings: a new instance, so a new runner
    host.writeConfig(config);
    host.signal(SIGHUP);
    ASSERT_TRUE(host.waitForOutput("reload: generation 2"));
    // The old runner is stopped and reaped once nothing uses its instance.
    EXPECT_TRUE(waitUntil(
        [&] {
            const auto now = childrenOf(host.pid());
            return now.size() == 1 && !now.count(*before.begin());
        },
        10s))
        << "children: " << childrenOf(host.pid()).size();
    for (int pid : childrenOf(host.pid())) EXPECT_FALSE(zombie(pid));
    WsClient client(host.port(), "/api/echo/ws");
    client.authenticate(kTestKey);
    EXPECT_EQ(client.chat("after").text, "afterafter");
    EXPECT_EQ(host.stop(), 0) << host.output();
}

}  // namespace
}  // namespace agenthost::test
