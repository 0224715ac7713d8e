// mode = app-server against the real Codex CLI (the pinned version scripts/setup.sh installs),
// which talks to a scripted Responses API on loopback (mock_responses_api.py): text streams as
// Codex streams it, a cancel interrupts the turn, usage is per turn, Codex's approval requests
// reach protocol 2 clients, and a conversation keeps its Codex thread across a host restart.
// Skipped when the CLI is not installed.
#include <filesystem>

#include "CodexCliSupport.h"
#include "events/EventsTest.h"

namespace agenthost::test::codex {
namespace {

using Clock = std::chrono::steady_clock;

// Codex's first start in a new CODEX_HOME takes a while, more under sanitizers.
constexpr auto kTurnLimit = std::chrono::seconds(30 * kSanitizerSlowdown);

class CodexCli : public ::testing::Test {
  protected:
    void SetUp() override { SKIP_WITHOUT_CODEX_CLI(); }

    HostConfig config(const std::string& extra = "") const {
        return codexConfig(mock_.settings(home_.path(), project_.path()) + extra);
    }

    MockResponsesApi mock_;
    TempDir home_;
    TempDir project_;
};

// The answer text among `frames`.
std::string textOf(const Frames& frames) {
    std::string text;
    for (const auto& frame : frames)
        if (typeOf(frame) == "message") text += frame->getValue<std::string>("content");
    return text;
}

std::uint64_t usageField(const Reply& reply, const std::string& key) {
    const auto usage = reply.terminal->getObject("usage");
    return usage ? usage->getValue<std::uint64_t>(key) : 0;
}

TEST_F(CodexCli, TextStreamsBeforeTheTurnCompletes) {
    HostProcess host(config());
    auto client = connect(host);
    client->sendMessage("answer slow");
    std::vector<std::pair<Clock::time_point, std::string>> pieces;
    Poco::JSON::Object::Ptr terminal;
    while (!terminal) {
        const auto frame = client->receiveJson(kTurnLimit);
        const std::string type = frame->getValue<std::string>("type");
        if (type == "message")
            pieces.emplace_back(Clock::now(), frame->getValue<std::string>("content"));
        else if (type == "complete" || type == "error")
            terminal = frame;
    }
    const auto completedAt = Clock::now();
    ASSERT_EQ(terminal->getValue<std::string>("type"), "complete")
        << terminal->getValue<std::string>("content");
    std::string text;
    for (const auto& piece : pieces) text += piece.second;
    EXPECT_EQ(text, "one two three");
    // The mock sends the three pieces 300 ms apart: the first was on screen well before the end.
    ASSERT_GE(pieces.size(), 2u);
    EXPECT_GE(completedAt - pieces.front().first, std::chrono::milliseconds(400));
}

TEST_F(CodexCli, UsageIsPerTurnNotTheThreadsTotal) {
    HostProcess host(config());
    auto client = connect(host);
    for (int turn = 1; turn <= 3; ++turn) {
        const Reply reply = client->chat("turn " + std::to_string(turn), kTurnLimit);
        ASSERT_EQ(reply.terminalType(), "complete")
            << turn << ": " << reply.terminal->getValue<std::string>("content");
        EXPECT_EQ(reply.text, "echo: turn " + std::to_string(turn));
        EXPECT_EQ(usageField(reply, "input_tokens"), 10u) << turn;
        EXPECT_EQ(usageField(reply, "output_tokens"), 5u) << turn;
    }
}

// The cancelled turn is interrupted, not killed: the same app-server answers the next message
// of the conversation, which could only start once Codex ended the turn.
TEST_F(CodexCli, CancelInterruptsTheTurnWithinASecond) {
    HostProcess host(config());
    auto client = connect(host);
    ASSERT_EQ(client->chat("warm up", kTurnLimit).terminalType(), "complete");
    client->sendMessage("hang on");
    client->readUntil(
        [](const FramePtr& frame) { return frame->getValue<std::string>("type") == "message"; },
        kTurnLimit);
    const auto cancelledAt = Clock::now();
    client->sendJson(R"({"type":"cancel"})");
    client->readUntil(isType("complete"));
    const Reply next = client->chat("after", kTurnLimit);
    const auto took = Clock::now() - cancelledAt;
    ASSERT_EQ(next.terminalType(), "complete");
    EXPECT_EQ(next.text, "echo: after");
    EXPECT_LT(took, std::chrono::milliseconds(1000 * kSanitizerSlowdown + 1000));
    EXPECT_EQ(host.output().find("did not end the turn after turn/interrupt"), std::string::npos);
}

class CodexCliApprovals : public CodexCli {
  protected:
    // Sends the message that makes the model ask for a shell command; returns the request.
    FramePtr askForShell(Connection& client) {
        client->sendMessage("run the shell");
        const auto frames = client->readUntil(isEventOf("approval_request"), kTurnLimit);
        const auto request = frames.back();
        const auto data = request->getObject("data");
        EXPECT_EQ(data->getValue<std::string>("action"), "command");
        EXPECT_NE(data->getObject("detail")->getValue<std::string>("command").find("echo approved"),
                  std::string::npos);
        return request;
    }
    bool commandRan() const { return std::filesystem::exists(project_.file("ran.txt")); }
};

TEST_F(CodexCliApprovals, AnAcceptedCommandRuns) {
    HostProcess host(config());
    auto client = startConversation(host, "codex");
    const auto request = askForShell(client);
    client->sendJson(approveFrame(approvalIdOf(request), "accept"));
    const auto frames = client->readUntil(terminalOfTurn(1), kTurnLimit);
    ASSERT_EQ(typeOf(frames.back()), "complete");
    EXPECT_TRUE(commandRan());
    const std::string text = textOf(frames);
    EXPECT_EQ(text.rfind("ran: ", 0), 0u) << text;
    bool commandEvent = false;
    for (const auto& frame : frames) commandEvent = commandEvent || isEvent(frame, "command");
    EXPECT_TRUE(commandEvent);
}

TEST_F(CodexCliApprovals, ADeclinedCommandDoesNotRun) {
    HostProcess host(config());
    auto client = startConversation(host, "codex");
    const auto request = askForShell(client);
    client->sendJson(approveFrame(approvalIdOf(request), "decline"));
    const auto frames = client->readUntil(terminalOfTurn(1), kTurnLimit);
    ASSERT_EQ(typeOf(frames.back()), "complete");
    EXPECT_FALSE(commandRan());
    const std::string text = textOf(frames);
    EXPECT_EQ(text.rfind("no run: ", 0), 0u) << text;
}

// Nobody can answer for a protocol 1 client: the route's approval_policy decides.
TEST_F(CodexCliApprovals, WithoutAClientThePolicyDecidesDeclineByDefault) {
    HostProcess host(config());
    const Reply reply = connect(host)->chat("run the shell", kTurnLimit);
    ASSERT_EQ(reply.terminalType(), "complete");
    // Protocol 1 clients see the declined command as a line of the answer, as in exec mode.
    EXPECT_EQ(reply.text.find("[ran: /bin/bash -lc 'echo approved > ran.txt && cat ran.txt' "
                              "(declined)]\n\nno run: "),
              0u)
        << reply.text;
    EXPECT_FALSE(commandRan());
}

TEST_F(CodexCliApprovals, ApprovalPolicyAcceptRunsItUnasked) {
    HostProcess host(config("approval_policy = accept\n"));
    const Reply reply = connect(host)->chat("run the shell", kTurnLimit);
    ASSERT_EQ(reply.terminalType(), "complete");
    EXPECT_NE(reply.text.find("ran: "), std::string::npos) << reply.text;
    EXPECT_TRUE(commandRan());
}

// A protocol 2 client that does not answer: at approval_timeout_s the route's approval_policy
// decides, as it does when no client can be asked.
TEST_F(CodexCliApprovals, AnUnansweredApprovalIsDecidedByThePolicyAtTheTimeout) {
    HostProcess host(config("approval_policy = accept\napproval_timeout_s = 1\n"));
    auto client = startConversation(host, "codex");
    const auto request = askForShell(client);
    const auto frames = client->readUntil(terminalOfTurn(1), kTurnLimit);
    ASSERT_EQ(typeOf(frames.back()), "complete");
    ASSERT_TRUE(isEvent(frames.front(), "status")) << canonical(frames.front());
    const auto decision = frames.front()->getObject("data");
    EXPECT_EQ(decision->getValue<std::string>("approval_id"), approvalIdOf(request));
    EXPECT_EQ(decision->getValue<std::string>("decision"), "accept");
    EXPECT_EQ(decision->getValue<std::string>("by"), "timeout");
    EXPECT_TRUE(commandRan());
}

TEST_F(CodexCliApprovals, AnUnansweredApprovalIsDeclinedByDefault) {
    HostProcess host(config("approval_timeout_s = 1\n"));
    auto client = startConversation(host, "codex");
    askForShell(client);
    const auto frames = client->readUntil(terminalOfTurn(1), kTurnLimit);
    ASSERT_EQ(typeOf(frames.back()), "complete");
    EXPECT_FALSE(commandRan());
    const std::string text = textOf(frames);
    EXPECT_EQ(text.rfind("no run: ", 0), 0u) << text;
}

// The conversation's Codex thread id is its session state: after a restart of the host (and so
// of Codex), the next message resumes the thread, and the model sees the earlier turn.
TEST_F(CodexCli, AConversationKeepsItsThreadAcrossAHostRestart) {
    HostProcess host(config());
    std::string conversation;
    {
        auto client = startConversation(host, "codex");
        conversation = client.conversationId();
        client->sendMessage("remember the word pineapple");
        ASSERT_EQ(typeOf(client->readUntil(terminalOfTurn(1), kTurnLimit).back()), "complete");
    }
    ASSERT_EQ(host.stop(), 0);
    host.restart();
    auto client = resumeByUrl(host, "codex", conversation, 0);
    client->sendMessage("what was the word");
    const auto frames = client->readUntil(terminalOfTurn(2), kTurnLimit);
    ASSERT_EQ(typeOf(frames.back()), "complete");
    const std::string requests = mock_.requestLog();
    const auto end = requests.find_last_not_of('\n');
    ASSERT_NE(end, std::string::npos);
    const auto start = requests.rfind('\n', end);
    const std::string lastRequest =
        requests.substr(start == std::string::npos ? 0 : start + 1, end + 1);
    EXPECT_NE(lastRequest.find("remember the word pineapple"), std::string::npos);
    EXPECT_NE(lastRequest.find("what was the word"), std::string::npos);
}

}  // namespace
}  // namespace agenthost::test::codex
