// Children end with their request: cancel, timeout, disconnect and shutdown stop the whole
// process group, reap it and leak no fds; and the session keeps working afterwards.
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "CodexTestSupport.h"

namespace agenthost::test::codex {
namespace {

// Answers "ok: <message>", except for the message "hang": then it starts a grandchild, writes
// "<own pid> <grandchild pid>" to `pids`, prints "started" and waits forever. With
// `ignoreTerm` it ignores SIGTERM (its grandchild too), so only SIGKILL ends it.
std::string hangingScript(const TempDir& dir, const std::string& pids, bool ignoreTerm = false) {
    return dir.write("agent.sh",
                     std::string("#!/bin/sh\n") + (ignoreTerm ? "trap '' TERM\n" : "") +
                         "msg=$(cat)\n"
                         "if [ \"$msg\" = hang ]; then\n"
                         "  sleep 300 &\n"
                         "  echo \"$$ $!\" > '" +
                         pids + ".tmp' && mv '" + pids + ".tmp' '" + pids +
                         "'\n"
                         "  echo started\n"
                         "  while :; do wait; done\n"
                         "fi\n"
                         "echo \"ok: $msg\"\n",
                     true);
}

std::string fdListing(pid_t pid) {
    std::string out;
    for (const auto& entry :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
        std::error_code ec;
        out += entry.path().filename().string() + " -> " +
               std::filesystem::read_symlink(entry.path(), ec).string() + "\n";
    }
    return out;
}

class CodexLifecycle : public ::testing::Test {
  protected:
    void startHost(const std::string& extraSettings = "", bool ignoreTerm = false) {
        host_ = std::make_unique<HostProcess>(codexConfig(
            "command = " + hangingScript(dir_, pidFile_, ignoreTerm) + "\n" + extraSettings));
        client_ = connect(*host_);
        // The baseline is taken once the host has run a child (the plugin keeps one /dev/null
        // open for children from then on) and the startup's HTTP connections have closed.
        expectSessionWorks(*client_);
        fdsBefore_ = settledFdCount();
    }

    // Sends "hang" and returns the script's and its grandchild's pids once it runs.
    std::vector<pid_t> startHanging(WsClient& client) {
        std::remove(pidFile_.c_str());
        client.sendMessage("hang");
        auto frame = client.receiveJson(10s);
        EXPECT_EQ(frame->getValue<std::string>("content"), "started\n");
        auto pids = waitForPids(pidFile_, 2);
        EXPECT_EQ(pids.size(), 2u);
        for (pid_t pid : pids) EXPECT_FALSE(processEnded(pid, host_->pid())) << pid;
        return pids;
    }

    void expectEnded(const std::vector<pid_t>& pids,
                     std::chrono::milliseconds within = std::chrono::seconds(5)) {
        for (pid_t pid : pids)
            EXPECT_TRUE(waitUntil([&] { return processEnded(pid, host_->pid()); }, within))
                << "process " << pid << " still runs (or is an unreaped child of the host)";
    }

    int settledFdCount() {
        int last = host_->fdCount();
        for (int stable = 0; stable < 10; ++stable) {  // unchanged for 200 ms
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            const int now = host_->fdCount();
            if (now != last) stable = 0;
            last = now;
        }
        return last;
    }

    void expectFdsBack() {
        EXPECT_TRUE(waitUntil([&] { return host_->fdCount() == fdsBefore_; }))
            << "host fds: " << host_->fdCount() << ", before: " << fdsBefore_ << "\n"
            << fdListing(host_->pid());
    }

    void expectSessionWorks(WsClient& client) {
        auto reply = client.chat("again");
        EXPECT_EQ(reply.terminalType(), "complete");
        EXPECT_EQ(reply.text, "ok: again\n");
    }

    TempDir dir_;
    std::string pidFile_ = dir_.file("pids");
    std::unique_ptr<HostProcess> host_;
    std::unique_ptr<WsClient> client_;
    int fdsBefore_ = 0;
};

TEST_F(CodexLifecycle, CancelStopsTheProcessGroup) {
    startHost();
    auto pids = startHanging(*client_);
    client_->sendJson(R"({"type":"cancel"})");
    auto reply = client_->readReply(10s);
    ASSERT_EQ(reply.terminalType(), "complete");
    EXPECT_TRUE(reply.terminal->getValue<bool>("cancelled"));
    expectEnded(pids);
    expectFdsBack();
    expectSessionWorks(*client_);
}

TEST_F(CodexLifecycle, TimeoutStopsTheProcessGroupAndReportsAnError) {
    startHost("timeout_s = 1");
    const auto start = std::chrono::steady_clock::now();
    auto pids = startHanging(*client_);
    auto reply = client_->readReply(10s);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_EQ(reply.terminalType(), "error");
    EXPECT_EQ(reply.terminal->getValue<std::string>("code"), "timeout");
    EXPECT_NE(reply.terminal->getValue<std::string>("content").find("1 s"), std::string::npos);
    EXPECT_GE(took, std::chrono::milliseconds(900));
    expectEnded(pids);
    expectFdsBack();
    expectSessionWorks(*client_);
}

TEST_F(CodexLifecycle, ProgramIgnoringSigtermIsKilledAfterTheGrace) {
    startHost("kill_grace_ms = 300", true);
    auto pids = startHanging(*client_);
    client_->sendJson(R"({"type":"cancel"})");
    EXPECT_TRUE(client_->readReply(10s).terminal->getValue<bool>("cancelled"));
    expectEnded(pids);
    expectFdsBack();
    expectSessionWorks(*client_);
}

TEST_F(CodexLifecycle, ClientDisconnectStopsTheProcessGroup) {
    startHost();
    auto other = connect(*host_);
    auto pids = startHanging(*other);
    other.reset();  // closes the connection mid-response
    expectEnded(pids);
    expectFdsBack();
    expectSessionWorks(*client_);
}

TEST_F(CodexLifecycle, HostShutdownStopsRunningChildren) {
    startHost();
    auto pids = startHanging(*client_);
    EXPECT_EQ(host_->stop(), 0) << host_->output();
    for (pid_t pid : pids) EXPECT_TRUE(waitUntil([&] { return processEnded(pid, -1); }, 5s)) << pid;
}

TEST_F(CodexLifecycle, RequestsBeyondMaxConcurrentWaitTheirTurn) {
    startHost("max_concurrent = 1");
    auto second = connect(*host_);
    auto pids = startHanging(*client_);
    second->sendMessage("queued");
    EXPECT_FALSE(second->receive(500ms)) << "ran although the only slot was taken";
    client_->sendJson(R"({"type":"cancel"})");
    client_->readReply(10s);
    auto reply = second->readReply(10s);
    EXPECT_EQ(reply.terminalType(), "complete");
    EXPECT_EQ(reply.text, "ok: queued\n");
    expectEnded(pids);
}

TEST(CodexLeftovers, BackgroundProcessInTheGroupIsStoppedAfterANormalExit) {
    TempDir dir;
    const std::string pids = dir.file("pids");
    // The background sleep keeps stdout open: the response can only end if it is stopped.
    const std::string script = dir.write(
        "leave.sh", "#!/bin/sh\nsleep 300 &\necho $! > '" + pids + "'\necho done\n", true);
    HostProcess host(codexConfig("command = " + script));
    auto client = connect(host);
    const auto start = std::chrono::steady_clock::now();
    auto reply = client->chat("hi", 10s);
    EXPECT_EQ(reply.terminalType(), "complete");
    EXPECT_EQ(reply.text, "done\n");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    const auto leftover = waitForPids(pids, 1);
    ASSERT_EQ(leftover.size(), 1u);
    EXPECT_TRUE(waitUntil([&] { return processEnded(leftover[0], host.pid()); }, 5s));
}

TEST(CodexLeftovers, ProcessThatLeftTheGroupDoesNotHoldTheResponse) {
    TempDir dir;
    const std::string pids = dir.file("pids");
    const std::string script = dir.write("escape.sh",
                                         "#!/bin/sh\n"
                                         "setsid sh -c 'echo $$ > \"$0\"; exec sleep 300' '" +
                                             pids +
                                             "' &\n"
                                             "echo done\n",
                                         true);
    HostProcess host(codexConfig("command = " + script));
    auto client = connect(host);
    const auto start = std::chrono::steady_clock::now();
    auto reply = client->chat("hi", 10s);
    EXPECT_EQ(reply.terminalType(), "complete");
    EXPECT_EQ(reply.text, "done\n");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 6s);
    // It escaped the process group on purpose; clean it up here, by its pid.
    for (pid_t pid : waitForPids(pids, 1)) ::kill(pid, SIGKILL);
}

TEST(CodexChildFds, ChildGetsOnlyStdinStdoutAndStderr) {
    // Lists the fds open in the child; the one os.listdir held is closed by then and skipped.
    TempDir dir;
    const std::string script = dir.write("fds.py",
                                         "#!/usr/bin/python3\n"
                                         "import os\n"
                                         "fds = []\n"
                                         "for f in sorted(os.listdir('/proc/self/fd'), key=int):\n"
                                         "    try:\n"
                                         "        os.readlink('/proc/self/fd/' + f)\n"
                                         "        fds.append(f)\n"
                                         "    except OSError:\n"
                                         "        pass\n"
                                         "print(' '.join(fds))\n",
                                         true);
    HostProcess host(codexConfig("command = " + script));
    auto client = connect(host);  // the host now holds a client socket the child must not get
    auto reply = client->chat("hi");
    ASSERT_EQ(reply.terminalType(), "complete") << reply.terminal->getValue<std::string>("content");
    EXPECT_EQ(reply.text, "0 1 2\n");
}

}  // namespace
}  // namespace agenthost::test::codex
