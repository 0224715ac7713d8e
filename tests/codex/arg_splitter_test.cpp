// splitArgs: shell-like word splitting without a shell.
#include <gtest/gtest.h>

#include <stdexcept>

#include "ArgSplitter.h"

namespace codex_bridgehub {
namespace {

using Words = std::vector<std::string>;

TEST(CodexArgSplitter, SplitsOnRunsOfBlanks) {
    EXPECT_EQ(splitArgs("  -m  gpt-5\t--full-auto\n"), (Words{"-m", "gpt-5", "--full-auto"}));
}

TEST(CodexArgSplitter, EmptyOrBlankTextHasNoWords) {
    EXPECT_TRUE(splitArgs("").empty());
    EXPECT_TRUE(splitArgs("   \t ").empty());
}

TEST(CodexArgSplitter, SingleQuotesKeepEverythingLiteral) {
    EXPECT_EQ(splitArgs(R"('a b' 'x\y' '$HOME' '"')"), (Words{"a b", R"(x\y)", "$HOME", "\""}));
}

TEST(CodexArgSplitter, DoubleQuotesEscapeOnlyTheSpecialCharacters) {
    EXPECT_EQ(splitArgs(R"("a b" "q\"q" "b\\s" "\n stays" "\$x" "$HOME")"),
              (Words{"a b", "q\"q", R"(b\s)", R"(\n stays)", "$x", "$HOME"}));
}

TEST(CodexArgSplitter, BackslashOutsideQuotesEscapesAnyCharacter) {
    EXPECT_EQ(splitArgs(R"(a\ b \'c \\ d\"e)"), (Words{"a b", "'c", "\\", "d\"e"}));
}

TEST(CodexArgSplitter, BackslashNewlineJoinsLines) {
    EXPECT_EQ(splitArgs("ab\\\ncd"), (Words{"abcd"}));
}

TEST(CodexArgSplitter, QuotedPartsJoinAdjacentText) {
    EXPECT_EQ(splitArgs(R"(--config='a b'"c d"e)"), (Words{"--config=a bc de"}));
}

TEST(CodexArgSplitter, EmptyQuotesMakeAnEmptyWord) {
    EXPECT_EQ(splitArgs(R"(a '' "" b)"), (Words{"a", "", "", "b"}));
}

TEST(CodexArgSplitter, ShellSyntaxIsNeverInterpreted) {
    EXPECT_EQ(splitArgs("a;b $(x) `y` | > *"), (Words{"a;b", "$(x)", "`y`", "|", ">", "*"}));
}

TEST(CodexArgSplitter, UnbalancedQuotesAndTrailingBackslashAreErrors) {
    EXPECT_THROW(splitArgs("'open"), std::invalid_argument);
    EXPECT_THROW(splitArgs("a \"open"), std::invalid_argument);
    EXPECT_THROW(splitArgs(R"("escaped quote \")"), std::invalid_argument);
    EXPECT_THROW(splitArgs("ends with\\"), std::invalid_argument);
}

}  // namespace
}  // namespace codex_bridgehub
