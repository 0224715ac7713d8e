// format = codex-json through the real host, against a fake `codex` that prints the JSON lines of
// `codex exec --json` and records the argv and stdin it received.
#include "CodexTestSupport.h"

namespace agenthost::test::codex {
namespace {

// A fake codex in its own folder. Run N (1, 2, ...) writes its arguments, one per line, to
// argv.N and its stdin to stdin.N, answers with thread id "thread-N" unless it resumes one, and
// reports N*7 output tokens.
class FakeCodex {
  public:
    explicit FakeCodex(const std::string& events = defaultEvents()) {
        path_ = dir_.write(
            "codex",
            "#!/bin/sh\n"
            "cd '" +
                dir_.path() +
                "'\n"
                "n=$(( $(cat count 2>/dev/null || echo 0) + 1 ))\n"
                "echo $n > count\n"
                "printf '%s\\n' \"$@\" > argv.$n\n"
                "cat > stdin.$n\n"
                "thread=thread-$n\n"
                "prev=''\n"
                "for a in \"$@\"; do [ \"$prev\" = resume ] && thread=$a; prev=$a; done\n" +
                events,
            true);
    }

    static std::string defaultEvents() {
        return "echo '{\"type\":\"thread.started\",\"thread_id\":\"'$thread'\"}'\n"
               "echo '{\"type\":\"turn.started\"}'\n"
               "echo "
               "'{\"type\":\"item.completed\",\"item\":{\"id\":\"item_0\",\"type\":\"reasoning\","
               "\"text\":\"thinking\"}}'\n"
               "echo '{\"type\":\"item.completed\",\"item\":{\"id\":\"item_1\",\"type\":"
               "\"command_execution\",\"command\":\"ls -la\",\"aggregated_output\":\"x\","
               "\"exit_code\":0,\"status\":\"completed\"}}'\n"
               "echo '{\"type\":\"some.future.event\"}'\n"
               "echo '{\"type\":\"item.completed\",\"item\":{\"id\":\"item_2\",\"type\":"
               "\"agent_message\",\"text\":\"Answer '$n'\"}}'\n"
               "echo '{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":100,"
               "\"cached_input_tokens\":10,\"output_tokens\":'$((n*7))'}}'\n";
    }

    const std::string& path() const { return path_; }
    std::string argv(int run) const { return readFile(dir_.file("argv." + std::to_string(run))); }
    std::string input(int run) const { return readFile(dir_.file("stdin." + std::to_string(run))); }

  private:
    TempDir dir_;
    std::string path_;
};

Poco::JSON::Object::Ptr usageOf(const Reply& reply) {
    return reply.terminal->getObject("usage");
}

TEST(CodexJson, AnswersWithMessagesCommandsAndUsage) {
    FakeCodex codex;
    HostProcess host(codexConfig("command = " + codex.path() + "\nmode = exec"));
    auto client = connect(host);
    auto reply = client->chat("hello there");
    ASSERT_EQ(reply.terminalType(), "complete") << reply.terminal->getValue<std::string>("content");
    EXPECT_EQ(reply.text, "[ran: ls -la (exit 0)]\n\nAnswer 1");
    ASSERT_TRUE(usageOf(reply));
    EXPECT_EQ(usageOf(reply)->getValue<int>("input_tokens"), 100);
    EXPECT_EQ(usageOf(reply)->getValue<int>("output_tokens"), 7);
    EXPECT_EQ(codex.argv(1), "exec\n--json\n-\n");
    EXPECT_EQ(codex.input(1), "hello there");
}

// Needs the host to deliver events (the conversations spec's `event` frames).
TEST(CodexJson, ProtocolTwoClientsGetReasoningCommandsAndFileChangesAsEvents) {
    FakeCodex codex(
        "echo '{\"type\":\"thread.started\",\"thread_id\":\"t-1\"}'\n"
        "echo '{\"type\":\"item.completed\",\"item\":{\"id\":\"item_0\",\"type\":"
        "\"reasoning\",\"text\":\"**Looking around**\"}}'\n"
        "echo '{\"type\":\"item.started\",\"item\":{\"id\":\"item_1\",\"type\":"
        "\"command_execution\",\"command\":\"ls -la\",\"aggregated_output\":\"\","
        "\"exit_code\":null,\"status\":\"in_progress\"}}'\n"
        "echo '{\"type\":\"item.completed\",\"item\":{\"id\":\"item_1\",\"type\":"
        "\"command_execution\",\"command\":\"ls -la\",\"aggregated_output\":\"a.txt\","
        "\"exit_code\":0,\"status\":\"completed\"}}'\n"
        "echo '{\"type\":\"item.completed\",\"item\":{\"id\":\"item_2\",\"type\":"
        "\"file_change\",\"changes\":[{\"path\":\"a.txt\",\"kind\":\"update\"}],"
        "\"status\":\"completed\"}}'\n"
        "echo '{\"type\":\"item.completed\",\"item\":{\"id\":\"item_3\",\"type\":"
        "\"agent_message\",\"text\":\"Done.\"}}'\n"
        "echo '{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":9,"
        "\"cached_input_tokens\":0,\"output_tokens\":3}}'\n");
    HostProcess host(codexConfig("command = " + codex.path() + "\nmode = exec"));
    WsClient client(host.port(), "/api/codex/ws?protocol=2");
    client.authenticate(kTestKey);
    const Reply reply = client.chat("tidy up");
    ASSERT_EQ(reply.terminalType(), "complete") << describeFrames(reply.frames);
    EXPECT_EQ(reply.text, "Done.");  // no "[ran: ...]": the command is an event

    std::vector<Poco::JSON::Object::Ptr> events;
    for (const auto& frame : reply.frames)
        if (frame->getValue<std::string>("type") == "event") events.push_back(frame);
    ASSERT_EQ(events.size(), 4u) << describeFrames(reply.frames);
    EXPECT_EQ(events[0]->getValue<std::string>("kind"), "thinking");
    EXPECT_EQ(events[0]->getValue<std::string>("content"), "**Looking around**");
    EXPECT_EQ(events[1]->getValue<std::string>("kind"), "status");
    EXPECT_EQ(events[1]->getValue<std::string>("content"), "Running: ls -la");
    EXPECT_EQ(events[2]->getValue<std::string>("kind"), "command");
    EXPECT_EQ(events[2]->getValue<std::string>("content"), "ls -la");
    auto command = events[2]->getObject("data");
    ASSERT_TRUE(command);
    EXPECT_EQ(command->getValue<std::string>("command"), "ls -la");
    EXPECT_EQ(command->getValue<int>("exit_code"), 0);
    EXPECT_EQ(command->getValue<std::string>("output"), "a.txt");
    EXPECT_EQ(events[3]->getValue<std::string>("kind"), "file_change");
    auto changes = events[3]->getObject("data")->getArray("changes");
    ASSERT_EQ(changes->size(), 1u);
    EXPECT_EQ(changes->getObject(0)->getValue<std::string>("path"), "a.txt");
    EXPECT_EQ(changes->getObject(0)->getValue<std::string>("kind"), "update");
}

// Protocol 1 clients see no events: for them commands stay lines of the answer, as before.
TEST(CodexJson, ProtocolOneClientsSeeNoEvents) {
    FakeCodex codex;
    HostProcess host(codexConfig("command = " + codex.path() + "\nmode = exec"));
    const Reply reply = connect(host)->chat("hello");
    ASSERT_EQ(reply.terminalType(), "complete");
    EXPECT_EQ(reply.text, "[ran: ls -la (exit 0)]\n\nAnswer 1");
    for (const auto& frame : reply.frames)
        EXPECT_NE(frame->getValue<std::string>("type"), "event") << describeFrames(reply.frames);
}

TEST(CodexJson, NextMessageOfTheSessionResumesTheThread) {
    FakeCodex codex;
    HostProcess host(codexConfig("command = " + codex.path() + "\nmode = exec"));
    auto client = connect(host);
    ASSERT_EQ(client->chat("first").terminalType(), "complete");
    auto second = client->chat("second");
    ASSERT_EQ(second.terminalType(), "complete");
    EXPECT_EQ(second.text, "[ran: ls -la (exit 0)]\n\nAnswer 2");
    EXPECT_EQ(usageOf(second)->getValue<int>("output_tokens"), 14);
    EXPECT_EQ(codex.argv(2), "exec\n--json\nresume\nthread-1\n-\n");
    EXPECT_EQ(codex.input(2), "second");

    // Another connection is another session: a new thread, not this one.
    auto other = connect(host);
    ASSERT_EQ(other->chat("elsewhere").terminalType(), "complete");
    EXPECT_EQ(codex.argv(3), "exec\n--json\n-\n");
    ASSERT_EQ(client->chat("third").terminalType(), "complete");
    EXPECT_EQ(codex.argv(4), "exec\n--json\nresume\nthread-1\n-\n");
}

TEST(CodexJson, ArgsAndPromptAsArgumentGoBeforeAndAfterResume) {
    FakeCodex codex;
    HostProcess host(codexConfig("command = " + codex.path() + "\nmode = exec" +
                                 "\nargs = --skip-git-repo-check -m 'gpt 5'\nprompt = arg"));
    auto client = connect(host);
    ASSERT_EQ(client->chat("-x looks like an option").terminalType(), "complete");
    ASSERT_EQ(client->chat("again").terminalType(), "complete");
    EXPECT_EQ(codex.argv(1),
              "exec\n--json\n--skip-git-repo-check\n-m\ngpt 5\n--\n-x looks like an option\n");
    EXPECT_EQ(codex.argv(2),
              "exec\n--json\n--skip-git-repo-check\n-m\ngpt 5\nresume\nthread-1\n--\nagain\n");
    EXPECT_EQ(codex.input(1), "");
}

TEST(CodexJson, TurnFailedIsAnErrorFrame) {
    FakeCodex codex(
        "echo '{\"type\":\"thread.started\",\"thread_id\":\"t-1\"}'\n"
        "echo '{\"type\":\"turn.started\"}'\n"
        "echo '{\"type\":\"turn.failed\",\"error\":{\"message\":\"quota exceeded\"}}'\n"
        "exit 1\n");
    HostProcess host(codexConfig("command = " + codex.path() + "\nmode = exec"));
    auto reply = connect(host)->chat("hi");
    ASSERT_EQ(reply.terminalType(), "error");
    EXPECT_EQ(reply.terminal->getValue<std::string>("code"), "upstream_error");
    EXPECT_NE(reply.terminal->getValue<std::string>("content").find("quota exceeded"),
              std::string::npos);
}

TEST(CodexJson, ErrorEventIsAnErrorFrameEvenWithExitZero) {
    FakeCodex codex("echo '{\"type\":\"error\",\"message\":\"stream disconnected\"}'\n");
    HostProcess host(codexConfig("command = " + codex.path() + "\nmode = exec"));
    auto reply = connect(host)->chat("hi");
    ASSERT_EQ(reply.terminalType(), "error");
    EXPECT_NE(reply.terminal->getValue<std::string>("content").find("stream disconnected"),
              std::string::npos);
}

TEST(CodexJson, ExitWithoutEventsReportsStatusAndStderr) {
    FakeCodex codex("echo 'Not inside a trusted directory' >&2\nexit 2\n");
    HostProcess host(codexConfig("command = " + codex.path() + "\nmode = exec"));
    auto reply = connect(host)->chat("hi");
    ASSERT_EQ(reply.terminalType(), "error");
    const auto content = reply.terminal->getValue<std::string>("content");
    EXPECT_NE(content.find("exit status 2"), std::string::npos) << content;
    EXPECT_NE(content.find("Not inside a trusted directory"), std::string::npos) << content;
}

}  // namespace
}  // namespace agenthost::test::codex
