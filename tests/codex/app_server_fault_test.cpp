// mode = app-server against a stand-in that misbehaves on purpose (fake_app_server.py): an
// app-server that dies mid-turn, prints garbage, never answers initialize, or is overloaded.
#include "CodexTestSupport.h"
#include "support/BuildPaths.h"

namespace agenthost::test::codex {
namespace {

class AppServerFaults : public ::testing::Test {
  protected:
    HostConfig config(const std::string& fault, const std::string& extra = "") const {
        return codexConfig("command = " + sourceDirectory() +
                           "/tests/codex/fake_app_server.py\nformat = codex-json\n"
                           "args = --state " +
                           state_.path() + " --fault " + fault + "\n" + extra);
    }
    int starts() const { return std::stoi("0" + readFile(state_.file("starts"))); }

    static std::string healthOf(const HostProcess& host) { return host.get("/api/health").body; }

    TempDir state_;
};

TEST_F(AppServerFaults, AnswersThroughOneLongLivedAppServer) {
    HostProcess host(config("none"));
    auto client = connect(host);
    for (int turn = 1; turn <= 3; ++turn) {
        const Reply reply = client->chat("hello");
        ASSERT_EQ(reply.terminalType(), "complete");
        EXPECT_EQ(reply.text, "fake answer 1");
        // The fake's thread totals grow by 10/5 per turn; the turn reports its own share.
        EXPECT_EQ(reply.terminal->getObject("usage")->getValue<int>("input_tokens"), 10);
        EXPECT_EQ(reply.terminal->getObject("usage")->getValue<int>("output_tokens"), 5);
    }
    EXPECT_EQ(starts(), 1);
}

TEST_F(AppServerFaults, ConversationsShareTheAppServerEachWithItsThread) {
    HostProcess host(config("none"));
    auto first = connect(host);
    auto second = connect(host);
    first->sendMessage("one");
    second->sendMessage("two");
    EXPECT_EQ(first->readReply().text, "fake answer 1");
    EXPECT_EQ(second->readReply().text, "fake answer 1");
    EXPECT_EQ(starts(), 1);
}

TEST_F(AppServerFaults, DyingMidTurnFailsTheTurnAndTheNextMessageWorks) {
    HostProcess host(config("die-mid-turn"));
    auto client = connect(host);
    const Reply failed = client->chat("hello");
    ASSERT_EQ(failed.terminalType(), "error");
    EXPECT_EQ(failed.terminal->getValue<std::string>("code"), "upstream_error");
    const std::string message = failed.terminal->getValue<std::string>("content");
    EXPECT_NE(message.find("the Codex app-server stopped during the turn (exit status 3"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("dying mid-turn"), std::string::npos) << message;  // its stderr
    EXPECT_NE(healthOf(host).find("degraded"), std::string::npos) << healthOf(host);

    const Reply next = client->chat("again");
    ASSERT_EQ(next.terminalType(), "complete");
    EXPECT_EQ(next.text, "fake answer 2");
    EXPECT_EQ(starts(), 2);
    EXPECT_EQ(healthOf(host).find("degraded"), std::string::npos) << healthOf(host);
}

TEST_F(AppServerFaults, AnAppServerThatNeverAnswersInitializeIsAnError) {
    HostProcess host(config("mute", "startup_timeout_s = 2\n"));
    const auto began = std::chrono::steady_clock::now();
    const Reply reply = connect(host)->chat("hello", std::chrono::seconds(15));
    ASSERT_EQ(reply.terminalType(), "error");
    EXPECT_EQ(reply.terminal->getValue<std::string>("code"), "upstream_error");
    EXPECT_NE(reply.terminal->getValue<std::string>("content").find(
                  "did not answer initialize within 2 s"),
              std::string::npos);
    EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(8));
    EXPECT_NE(healthOf(host).find("degraded"), std::string::npos) << healthOf(host);
    // The mute child was stopped, not left behind (if it got as far as writing its pid).
    const std::string pid = readFile(state_.file("pid.1"));
    if (!pid.empty()) {
        EXPECT_TRUE(waitUntil([&] { return processEnded(std::stoi(pid), host.pid()); }));
    }
}

// E.g. an option of `codex exec` alone in args: the child says why on stderr and exits.
TEST_F(AppServerFaults, AnAppServerThatExitsAtOnceSaysWhy) {
    const std::string script = state_.write(
        "codex", "#!/bin/sh\necho \"error: unexpected argument '$2'\" >&2\nexit 2\n", true);
    HostProcess host(codexConfig("command = " + script + "\nargs = --skip-git-repo-check"));
    const Reply reply = connect(host)->chat("hello");
    ASSERT_EQ(reply.terminalType(), "error");
    EXPECT_EQ(reply.terminal->getValue<std::string>("content"),
              "the Codex app-server exited before it answered initialize (exit status 2; the end "
              "of its stderr:\nerror: unexpected argument '--skip-git-repo-check')");
    EXPECT_NE(healthOf(host).find("unexpected argument"), std::string::npos) << healthOf(host);
}

// Lines that are not JSON-RPC are ignored; a request Codex answers with -32001 (overloaded) is
// sent again.
TEST_F(AppServerFaults, GarbageOnStdoutIsIgnoredAndOverloadIsRetried) {
    for (const std::string fault : {"garbage", "overloaded"}) {
        TempDir state;
        HostProcess host(
            codexConfig("command = " + sourceDirectory() +
                        "/tests/codex/fake_app_server.py\nformat = codex-json\nargs = --state " +
                        state.path() + " --fault " + fault));
        const Reply reply = connect(host)->chat("hello");
        ASSERT_EQ(reply.terminalType(), "complete") << fault;
        EXPECT_EQ(reply.text, "fake answer 1") << fault;
    }
}

// The app-server is one per route and lives with it: stopping the host stops it, too.
TEST_F(AppServerFaults, TheAppServerStopsWithTheHost) {
    HostProcess host(config("none"));
    ASSERT_EQ(connect(host)->chat("hello").terminalType(), "complete");
    const pid_t pid = std::stoi(readFile(state_.file("pid.1")));
    const pid_t hostPid = host.pid();
    EXPECT_EQ(host.stop(), 0);
    EXPECT_TRUE(processEnded(pid, hostPid));
}

}  // namespace
}  // namespace agenthost::test::codex
