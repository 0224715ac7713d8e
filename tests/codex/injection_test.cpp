// The user's text is data: it reaches the program byte for byte and no shell ever runs it.
#include <unistd.h>

#include "CodexTestSupport.h"

namespace agenthost::test::codex {
namespace {

// Every way a shell could be tricked into running `touch <canary>`.
std::string hostilePrompt(const std::string& canary) {
    return "a; touch " + canary + "\n$(touch " + canary + ")\n`touch " + canary + "`\n" +
           "' \" && touch " + canary + " || touch " + canary + " | touch " + canary + " > " +
           canary + "\n\\ $HOME * -- end";
}

class CodexInjection : public ::testing::Test {
  protected:
    bool canaryExists() const { return ::access(canary_.c_str(), F_OK) == 0; }

    TempDir dir_;
    std::string canary_ = dir_.file("X");
};

TEST_F(CodexInjection, PromptOnStdinArrivesUnchanged) {
    const std::string script = dir_.write("cat.sh", "#!/bin/sh\ncat\n", true);
    HostProcess host(codexConfig("command = " + script + "\nworkdir = " + dir_.path()));
    const std::string prompt = hostilePrompt(canary_);
    auto reply = connect(host)->chat(prompt);
    ASSERT_EQ(reply.terminalType(), "complete");
    EXPECT_EQ(reply.text, prompt);
    EXPECT_FALSE(canaryExists());
}

TEST_F(CodexInjection, PromptAsArgumentArrivesAsOneUnchangedArgument) {
    const std::string script =
        dir_.write("argv.sh", "#!/bin/sh\nprintf '%s|' \"$#\"\nprintf '%s' \"$2\"\n", true);
    HostProcess host(codexConfig("command = " + script + "\nprompt = arg\nprompt_separator = --" +
                                 "\nworkdir = " + dir_.path()));
    const std::string prompt = hostilePrompt(canary_);
    auto reply = connect(host)->chat(prompt);
    ASSERT_EQ(reply.terminalType(), "complete");
    EXPECT_EQ(reply.text, "2|" + prompt);  // "--" and the prompt: nothing split, nothing added
    EXPECT_FALSE(canaryExists());
}

// (" ;" starts an ini comment, so a lone ";" word is written "\;".)
TEST_F(CodexInjection, ConfiguredArgsAreNotRunThroughAShellEither) {
    const std::string script =
        dir_.write("args.sh", "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done\n", true);
    HostProcess host(codexConfig("command = " + script + "\nargs = '$(touch " + canary_ +
                                 ")' \"a b\" c\\ d \\;\nprompt = arg"));
    auto reply = connect(host)->chat("p");
    ASSERT_EQ(reply.terminalType(), "complete");
    EXPECT_EQ(reply.text, "[$(touch " + canary_ + ")][a b][c d][;][p]");
    EXPECT_FALSE(canaryExists());
}

}  // namespace
}  // namespace agenthost::test::codex
