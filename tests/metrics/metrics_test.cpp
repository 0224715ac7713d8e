// GET /metrics against the real host: each counter says exactly what the test's clients did,
// who may read it, and `promtool check metrics` accepts the output.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <string>

#include "MetricsText.h"
#include "support/Wait.h"
#include "support/WsClient.h"

namespace agenthost::test {
namespace {

using Labels = std::map<std::string, std::string>;

Labels outcome(const std::string& name) {
    return {{"route", "probe"}, {"key", "test"}, {"outcome", name}};
}

// Three complete turns, one cancelled, one failed, on one connection of key "test".
void runTheTurns(std::uint16_t port) {
    WsClient client(port, "/api/probe/ws");
    client.authenticate(kTestKey);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(client.chat("hello").terminalType(), "complete");
    client.sendMessage("wait");
    client.sendJson(R"({"type":"cancel"})");
    const auto cancelled = client.readReply();
    ASSERT_EQ(cancelled.terminalType(), "complete");
    EXPECT_TRUE(cancelled.terminal->optValue<bool>("cancelled", false));
    const auto failed = client.chat("fail");
    ASSERT_EQ(failed.terminalType(), "error");
    EXPECT_EQ(failed.terminal->getValue<std::string>("code"), "probe_failed");
    client.close();
}

TEST(Metrics, CountersSayWhatTheClientsDid) {
    HostProcess host(probeConfig());
    runTheTurns(host.port());
    {
        WsClient intruder(host.port(), "/api/probe/ws");
        intruder.sendText("not-a-key");
        intruder.waitForClose();
    }
    // The sessions are gone once their connections are: wait for it, not for a fixed time.
    MetricsText metrics("");
    ASSERT_TRUE(waitUntil([&] {
        metrics = scrape(host);
        return metrics.find("agenthost_connections",
                            {{"route", "probe"}, {"authenticated", "true"}}) == 0.0 &&
               metrics.find("agenthost_connections",
                            {{"route", "probe"}, {"authenticated", "false"}}) == 0.0;
    })) << metrics.text();

    EXPECT_EQ(metrics.at("agenthost_requests_total", outcome("complete")), 3);
    EXPECT_EQ(metrics.at("agenthost_requests_total", outcome("cancelled")), 1);
    EXPECT_EQ(metrics.at("agenthost_requests_total", outcome("rate_limited")), 0);
    auto error = outcome("error");
    error["code"] = "probe_failed";
    EXPECT_EQ(metrics.at("agenthost_requests_total", error), 1);
    EXPECT_EQ(metrics.at("agenthost_tokens_total",
                         {{"route", "probe"}, {"key", "test"}, {"type", "input"}}),
              3 * 3 + 2);
    EXPECT_EQ(metrics.at("agenthost_tokens_total",
                         {{"route", "probe"}, {"key", "test"}, {"type", "output"}}),
              3 * 5);
    // Every request that ran has a duration; only the three that sent text a first chunk.
    EXPECT_EQ(metrics.at("agenthost_request_duration_seconds_count", {{"route", "probe"}}), 5);
    EXPECT_EQ(metrics.at("agenthost_request_duration_seconds_bucket",
                         {{"route", "probe"}, {"le", "+Inf"}}),
              5);
    EXPECT_EQ(metrics.at("agenthost_time_to_first_chunk_seconds_count", {{"route", "probe"}}), 3);
    // The probe answers at once: every first chunk is within the smallest bucket (10 ms)...
    // unless the machine is very slow; the largest bound holds in any case.
    EXPECT_EQ(metrics.at("agenthost_time_to_first_chunk_seconds_bucket",
                         {{"route", "probe"}, {"le", "81.92"}}),
              3);
    EXPECT_EQ(metrics.at("agenthost_active_requests", {{"route", "probe"}}), 0);
    EXPECT_EQ(metrics.at("agenthost_queued_messages", {{"route", "probe"}}), 0);
    EXPECT_EQ(metrics.at("agenthost_connections_opened_total", {{"route", "probe"}}), 2);
    EXPECT_EQ(metrics.at("agenthost_authentication_failures_total",
                         {{"route", "probe"}, {"reason", "invalid_api_key"}}),
              1);
    EXPECT_EQ(metrics.at("agenthost_plugin_health", {{"route", "probe"}, {"status", "ok"}}), 1);
    EXPECT_EQ(metrics.at("agenthost_plugin_health", {{"route", "probe"}, {"status", "error"}}), 0);
    EXPECT_EQ(metrics.at("agenthost_store_errors_total", {{"operation", "commit"}}), 0);
    EXPECT_EQ(metrics.at("agenthost_reloads_total", {{"result", "ok"}}), 0);
    EXPECT_EQ(metrics.at("agenthost_resumes_total", {{"route", "probe"}}), 0);
    // No conversation id, no address: only names from the config and fixed words as labels.
    for (const auto& sample : metrics.samples())
        for (const auto& [label, value] : sample.labels)
            EXPECT_EQ(value.find("127.0.0.1"), std::string::npos) << sample.name;
}

// The tests run as root, to whom file modes are no obstacle: a full filesystem (a small tmpfs,
// filled) is what makes the store's commits really fail.
TEST(Metrics, StoreErrorsCountFailedCommits) {
    TempDir dir;
    const std::string disk = dir.path() + "/disk";
    ::mkdir(disk.c_str(), 0755);
    if (::mount("tmpfs", disk.c_str(), "tmpfs", 0, "size=4m") != 0)
        GTEST_SKIP() << "mounting a tmpfs is not permitted here";
    struct Unmount {
        std::string path;
        ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
    } unmount{disk};
    HostProcess host(
        probeConfig("[conversations]\nstore = sqlite:" + disk + "/conversations.db\n"));
    WsClient client(host.port(), "/api/probe/ws");
    client.authenticate(kTestKey);
    EXPECT_EQ(client.chat("stored").terminalType(), "complete");
    EXPECT_EQ(scrape(host).at("agenthost_store_errors_total", {{"operation", "commit"}}), 0);
    {
        std::ofstream filler(disk + "/filler", std::ios::binary);
        const std::string block(4096, 'x');
        while (filler.write(block.data(), static_cast<std::streamsize>(block.size())))
            filler.flush();
    }
    const std::string big(60000, 'b');
    for (int i = 0; i < 5; ++i) EXPECT_EQ(client.chat(big).terminalType(), "complete");
    MetricsText metrics("");
    EXPECT_TRUE(waitUntil(
        [&] {
            metrics = scrape(host);
            return metrics.at("agenthost_store_errors_total", {{"operation", "commit"}}) >= 1;
        },
        20s))
        << metrics.text();
    EXPECT_EQ(metrics.at("agenthost_requests_total", outcome("complete")), 6);
}

TEST(Metrics, GaugesShowWhatIsRunningAndWaiting) {
    HostProcess host(probeConfig());
    WsClient client(host.port(), "/api/probe/ws");
    client.authenticate(kTestKey);
    client.sendMessage("wait");
    client.sendMessage("hello");  // waits for the first
    ASSERT_TRUE(waitUntil([&] {
        const auto metrics = scrape(host);
        return metrics.find("agenthost_active_requests", {{"route", "probe"}}) == 1.0 &&
               metrics.find("agenthost_queued_messages", {{"route", "probe"}}) == 1.0;
    }));
    auto metrics = scrape(host);
    EXPECT_EQ(metrics.at("agenthost_connections", {{"route", "probe"}, {"authenticated", "true"}}),
              1);
    client.sendJson(R"({"type":"cancel"})");
    EXPECT_TRUE(client.readReply().terminal->optValue<bool>("cancelled", false));
    EXPECT_EQ(client.readReply().terminalType(), "complete");
    metrics = scrape(host);
    EXPECT_EQ(metrics.at("agenthost_active_requests", {{"route", "probe"}}), 0);
    EXPECT_EQ(metrics.at("agenthost_queued_messages", {{"route", "probe"}}), 0);
    EXPECT_EQ(metrics.at("agenthost_requests_total", outcome("complete")), 1);
    EXPECT_EQ(metrics.at("agenthost_requests_total", outcome("cancelled")), 1);
}

TEST(Metrics, ResumesCountTheirReplayedFrames) {
    HostProcess host(probeConfig());
    std::string id;
    {
        WsClient client(host.port(), "/api/probe/ws?protocol=2");
        id = client.authenticate(kTestKey)->getValue<std::string>("conversation_id");
        client.chat("one");  // user, message, complete: 3 frames
        client.chat("two");
        client.close();
    }
    WsClient again(host.port(), "/api/probe/ws?conversation=" + id + "&after_seq=1");
    again.authenticate(kTestKey);
    again.readUntil([](const auto& frame) {
        return frame->template optValue<std::string>("type", "") == "complete" &&
               frame->template optValue<int>("seq", 0) == 6;
    });
    const auto metrics = scrape(host);
    EXPECT_EQ(metrics.at("agenthost_resumes_total", {{"route", "probe"}}), 1);
    EXPECT_EQ(metrics.at("agenthost_replayed_frames_total", {{"route", "probe"}}), 5);
}

TEST(Metrics, ReloadsCountedByResult) {
    HostProcess host(probeConfig());
    host.writeConfig(probeConfig());
    host.signal(SIGHUP);
    ASSERT_TRUE(waitUntil([&] {
        return scrape(host).find("agenthost_reloads_total", {{"result", "ok"}}) == 1.0;
    }));
    host.writeConfigText("garbage\n");
    host.signal(SIGHUP);
    ASSERT_TRUE(waitUntil([&] {
        return scrape(host).find("agenthost_reloads_total", {{"result", "failed"}}) == 1.0;
    }));
    EXPECT_EQ(scrape(host).at("agenthost_reloads_total", {{"result", "ok"}}), 1);
}

TEST(Metrics, ConfiguredRoutesAndKeysStartAtZero) {
    HostProcess host(probeConfig());
    const auto metrics = scrape(host);
    for (const char* key : {"test", "ops"}) {
        EXPECT_EQ(metrics.at("agenthost_requests_total",
                             {{"route", "probe"}, {"key", key}, {"outcome", "complete"}}),
                  0);
        EXPECT_EQ(metrics.at("agenthost_tokens_total",
                             {{"route", "probe"}, {"key", key}, {"type", "output"}}),
                  0);
    }
    EXPECT_EQ(metrics.at("agenthost_connections", {{"route", "probe"}, {"authenticated", "true"}}),
              0);
    EXPECT_EQ(metrics.at("agenthost_request_duration_seconds_count", {{"route", "probe"}}), 0);
}

TEST(Metrics, OnlyAnAdminKeyReadsThemByDefault) {
    HostProcess host(probeConfig());
    const auto anonymous = host.get("/metrics");
    EXPECT_EQ(anonymous.status, 401);
    EXPECT_EQ(parseJson(anonymous.body)->getValue<std::string>("error"), "invalid_api_key");
    const auto plainKey = host.get("/metrics", bearer(kTestKey));
    EXPECT_EQ(plainKey.status, 403);
    EXPECT_EQ(parseJson(plainKey.body)->getValue<std::string>("error"), "forbidden");
    EXPECT_EQ(host.get("/metrics", bearer("not-a-key")).status, 403);
    EXPECT_EQ(host.get("/metrics", bearer(kAdminKey)).status, 200);
    EXPECT_EQ(host.request("DELETE", "/metrics", bearer(kAdminKey)).status, 405);
}

TEST(Metrics, RequireAdminFalseOpensThemToAnyone) {
    HostProcess host(probeConfig("[metrics]\nrequire_admin = false\n"));
    const auto anonymous = host.get("/metrics");
    EXPECT_EQ(anonymous.status, 200);
    EXPECT_NE(anonymous.body.find("agenthost_build_info"), std::string::npos);
}

TEST(Metrics, DisabledIsNotFoundAndRecordsNothing) {
    HostProcess host(probeConfig("[metrics]\nenabled = false\n"));
    WsClient client(host.port(), "/api/probe/ws");
    client.authenticate(kTestKey);
    EXPECT_EQ(client.chat("hello").terminalType(), "complete");
    EXPECT_EQ(host.get("/metrics", bearer(kAdminKey)).status, 404);
}

TEST(Metrics, PromtoolAcceptsTheOutput) {
    if (std::system("command -v promtool > /dev/null 2>&1") != 0)
        GTEST_SKIP() << "promtool is not installed (Debian: apt-get install prometheus)";
    HostProcess host(probeConfig());
    runTheTurns(host.port());
    const auto metrics = scrape(host);
    const std::string file = host.dir().path() + "/metrics.txt";
    const std::string report = host.dir().path() + "/promtool.txt";
    std::ofstream(file) << metrics.text();
    const int status =
        std::system(("promtool check metrics < " + file + " > " + report + " 2>&1").c_str());
    std::ifstream in(report);
    const std::string output((std::istreambuf_iterator<char>(in)), {});
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output << metrics.text();
    EXPECT_EQ(output, "") << "promtool lint findings:\n" << output;
}

}  // namespace
}  // namespace agenthost::test
