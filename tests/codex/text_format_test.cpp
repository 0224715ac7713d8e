// format = text through the real host: stdout streams as it comes, failures say why.
#include <fstream>

#include "CodexTestSupport.h"

namespace agenthost::test::codex {
namespace {

std::string terminalContent(const Reply& reply) {
    return reply.terminal->getValue<std::string>("content");
}

TEST(CodexText, StdoutStreamsBeforeTheProgramEnds) {
    TempDir dir;
    const std::string marker = dir.file("go-on");
    const std::string script = dir.write("slow.sh",
                                         "#!/bin/sh\n"
                                         "echo first\n"
                                         "i=0\n"
                                         "while [ ! -e '" +
                                             marker +
                                             "' ] && [ $i -lt 400 ]; do\n"
                                             "  sleep 0.05; i=$((i+1))\n"
                                             "done\n"
                                             "echo second\n",
                                         true);
    HostProcess host(codexConfig("command = " + script + "\nformat = text"));
    auto client = connect(host);
    client->sendMessage("hi");

    // The script waits for the marker, so "first" can only arrive if it was streamed.
    auto frame = client->receiveJson(10s);
    EXPECT_EQ(frame->getValue<std::string>("type"), "message");
    EXPECT_EQ(frame->getValue<std::string>("content"), "first\n");
    std::ofstream(marker).put('x');

    auto rest = client->readReply(10s);
    EXPECT_EQ(rest.text, "second\n");
    EXPECT_EQ(rest.terminalType(), "complete");
}

TEST(CodexText, NonZeroExitIsAnErrorWithStatusAndStderr) {
    TempDir dir;
    const std::string script = dir.write("fail.sh",
                                         "#!/bin/sh\n"
                                         "echo partial\n"
                                         "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do\n"
                                         "  echo \"stderr line $i\" >&2\n"
                                         "done\n"
                                         "exit 3\n",
                                         true);
    HostProcess host(codexConfig("command = " + script));
    auto client = connect(host);
    auto reply = client->chat("hi");
    EXPECT_EQ(reply.text, "partial\n");
    ASSERT_EQ(reply.terminalType(), "error");
    EXPECT_EQ(reply.terminal->getValue<std::string>("code"), "upstream_error");
    const std::string content = terminalContent(reply);
    EXPECT_NE(content.find("exit status 3"), std::string::npos) << content;
    EXPECT_NE(content.find("stderr line 12"), std::string::npos) << content;
    EXPECT_NE(content.find("stderr line 3"), std::string::npos) << content;
    EXPECT_EQ(content.find("stderr line 2\n"), std::string::npos) << "only the last 10 lines";
}

TEST(CodexText, ProgramKilledByASignalIsAnError) {
    TempDir dir;
    const std::string script =
        dir.write("crash.sh", "#!/bin/sh\necho dying >&2\nkill -9 $$\n", true);
    HostProcess host(codexConfig("command = " + script));
    auto client = connect(host);
    auto reply = client->chat("hi");
    ASSERT_EQ(reply.terminalType(), "error");
    const std::string content = terminalContent(reply);
    EXPECT_NE(content.find("signal 9"), std::string::npos) << content;
    EXPECT_NE(content.find("dying"), std::string::npos) << content;
}

TEST(CodexText, MissingCommandIsAnErrorAndDegradesHealth) {
    HostProcess host(codexConfig("command = agenthost-no-such-agent-cli\nformat = text"));
    auto health = parseJson(host.get("/api/health").body);
    EXPECT_EQ(health->getValue<std::string>("status"), "degraded");
    auto plugin = health->getObject("plugins")->getObject("codex");
    EXPECT_EQ(plugin->getValue<std::string>("status"), "degraded");
    EXPECT_NE(plugin->getValue<std::string>("detail").find("agenthost-no-such-agent-cli"),
              std::string::npos);

    auto client = connect(host);
    auto reply = client->chat("hi");
    ASSERT_EQ(reply.terminalType(), "error");
    const std::string content = terminalContent(reply);
    EXPECT_NE(content.find("cannot start"), std::string::npos) << content;
    EXPECT_NE(content.find("No such file or directory"), std::string::npos) << content;
}

TEST(CodexText, NonExecutableFileDegradesHealth) {
    TempDir dir;
    const std::string script = dir.write("plain.sh", "#!/bin/sh\necho hi\n", false);
    HostProcess host(codexConfig("command = " + script + "\nformat = text"));
    auto health = parseJson(host.get("/api/health").body);
    EXPECT_EQ(health->getValue<std::string>("status"), "degraded");
    auto reply = connect(host)->chat("hi");
    ASSERT_EQ(reply.terminalType(), "error");
    EXPECT_NE(terminalContent(reply).find("Permission denied"), std::string::npos);
}

TEST(CodexText, HealthyCommandIsOk) {
    HostProcess host(codexConfig("command = sh\nformat = text"));
    auto health = parseJson(host.get("/api/health").body);
    EXPECT_EQ(health->getValue<std::string>("status"), "ok");
}

TEST(CodexText, InvalidUtf8IsRepairedNotDropped) {
    TempDir dir;
    // A broken byte, then a valid 4-byte sequence written in two pieces with a pause between.
    const std::string script = dir.write("bytes.sh",
                                         "#!/bin/sh\n"
                                         "printf 'a\\377b '\n"
                                         "printf '\\360\\237'\n"
                                         "sleep 0.2\n"
                                         "printf '\\230\\200 end'\n",
                                         true);
    HostProcess host(codexConfig("command = " + script));
    auto reply = connect(host)->chat("hi");
    EXPECT_EQ(reply.terminalType(), "complete");
    EXPECT_EQ(reply.text,
              "a\xEF\xBF\xBD"
              "b \xF0\x9F\x98\x80 end");
}

}  // namespace
}  // namespace agenthost::test::codex
