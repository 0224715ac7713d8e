// Route settings through the real host: env.NAME and workdir reach the child, bad settings stop
// the host at startup with a message naming the key.
#include "CodexTestSupport.h"

namespace agenthost::test::codex {
namespace {

// A script printing $GREETING|$SECOND_VAR|$(pwd)|$HOME.
std::string envScript(const TempDir& dir) {
    return dir.write("env.sh",
                     "#!/bin/sh\nprintf '%s|%s|%s|%s' \"$GREETING\" \"$SECOND_VAR\" \"$(pwd)\" "
                     "\"$HOME\"\n",
                     true);
}

TEST(CodexSettings, EnvListAndWorkdirReachTheChild) {
    TempDir dir;
    TempDir workdir;
    HostProcess host(codexConfig("command = " + envScript(dir) + "\nworkdir = " + workdir.path() +
                                 "\nenv = GREETING='hello world' SECOND_VAR=2"));
    auto reply = connect(host)->chat("hi");
    ASSERT_EQ(reply.terminalType(), "complete") << reply.terminal->getValue<std::string>("content");
    // The host's own environment is kept (HOME), the configured names are added.
    EXPECT_EQ(reply.text, "hello world|2|" + workdir.path() + "|" + std::string(getenv("HOME")));
}

TEST(CodexSettings, EnvDotNameLinesReachTheChild) {
    TempDir dir;
    HostProcess host(codexConfig("command = " + envScript(dir) +
                                 "\nenv.GREETING = hello world\nenv.SECOND_VAR = 2"));
    auto reply = connect(host)->chat("hi");
    ASSERT_EQ(reply.terminalType(), "complete") << reply.terminal->getValue<std::string>("content");
    EXPECT_EQ(reply.text.substr(0, 14), "hello world|2|");
}

// The host refuses to start when the route's plugin refuses its settings; returns its output.
std::string startupFailure(const std::string& settings) {
    try {
        HostProcess host(codexConfig(settings));
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    ADD_FAILURE() << "the host started with: " << settings;
    return "";
}

TEST(CodexSettings, UnbalancedQuoteInArgsIsAConfigError) {
    const std::string output = startupFailure("command = sh\nargs = -c 'echo");
    EXPECT_NE(output.find("args: unterminated ' quote"), std::string::npos) << output;
}

TEST(CodexSettings, InvalidValuesAreConfigErrors) {
    EXPECT_NE(startupFailure("format = json").find("format must be text or codex-json"),
              std::string::npos);
    EXPECT_NE(startupFailure("prompt = argv").find("prompt must be stdin or arg"),
              std::string::npos);
    EXPECT_NE(startupFailure("timeout_s = 0").find("timeout_s must be from 1"), std::string::npos);
    EXPECT_NE(startupFailure("max_concurrent = x").find("max_concurrent must be an integer"),
              std::string::npos);
    EXPECT_NE(startupFailure("workdir = /no/such/dir").find("/no/such/dir"), std::string::npos);
    EXPECT_NE(startupFailure("timeout = 5").find("unknown setting \"timeout\""), std::string::npos);
    EXPECT_NE(startupFailure("env = 1BAD=x").find("not a valid environment variable name"),
              std::string::npos);
    EXPECT_NE(startupFailure("env = JUST_A_NAME").find("is not NAME=value"), std::string::npos);
}

TEST(CodexSettings, ModeAndApprovalPolicyAreChecked) {
    EXPECT_NE(startupFailure("mode = daemon").find("mode must be app-server or exec"),
              std::string::npos);
    // approval_policy is the host's too (what an unanswered approval gets): it says so first.
    EXPECT_NE(startupFailure("approval_policy = yes")
                  .find("[plugin.codex] approval_policy: must be decline or accept, got \"yes\""),
              std::string::npos);
    EXPECT_NE(startupFailure("format = text\nmode = exec").find("mode needs format = codex-json"),
              std::string::npos);
    EXPECT_NE(startupFailure("prompt = arg").find("prompt is for mode = exec"), std::string::npos);
}

}  // namespace
}  // namespace agenthost::test::codex
