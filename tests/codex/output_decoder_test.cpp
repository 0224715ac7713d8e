// OutputDecoder: a child's bytes become valid UTF-8, whatever they were.
#include <gtest/gtest.h>

#include "OutputDecoder.h"

namespace codex_bridgehub {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(CodexOutputDecoder, ValidTextPassesUnchanged) {
    OutputDecoder d;
    const std::string text = "plain, caf\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x98\x80";
    EXPECT_EQ(d.decode(text), text);
    EXPECT_EQ(d.finish(), "");
}

TEST(CodexOutputDecoder, SequenceSplitAcrossReadsIsJoined) {
    OutputDecoder d;
    EXPECT_EQ(d.decode("a\xF0\x9F"), "a");
    EXPECT_EQ(d.decode("\x98"), "");
    EXPECT_EQ(d.decode("\x80z"), "\xF0\x9F\x98\x80z");
    EXPECT_EQ(d.finish(), "");
}

TEST(CodexOutputDecoder, InvalidBytesBecomeReplacementCharacters) {
    EXPECT_EQ(repairUtf8("a\xFF"
                         "b"),
              "a" + kFffd + "b");
    EXPECT_EQ(repairUtf8("\x80\x80"), kFffd + kFffd);              // stray continuations
    EXPECT_EQ(repairUtf8("\xC0\xAF"), kFffd + kFffd);              // overlong '/'
    EXPECT_EQ(repairUtf8("\xED\xA0\x80"), kFffd + kFffd + kFffd);  // a surrogate
    EXPECT_EQ(repairUtf8("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // > U+10FFFF
}

TEST(CodexOutputDecoder, TruncatedSequenceIsOneReplacement) {
    EXPECT_EQ(repairUtf8("\xE2\x82"
                         "x"),
              kFffd + "x");
}

TEST(CodexOutputDecoder, IncompleteTailAtTheEndIsRepairedByFinish) {
    OutputDecoder d;
    EXPECT_EQ(d.decode("ok\xE2\x82"), "ok");
    EXPECT_EQ(d.finish(), kFffd);
    EXPECT_EQ(d.finish(), "");
}

TEST(CodexOutputDecoder, InvalidByteAfterAPendingLeadIsReplacedNotSwallowed) {
    OutputDecoder d;
    EXPECT_EQ(d.decode("\xE2"), "");
    EXPECT_EQ(d.decode("A"), kFffd + "A");
}

}  // namespace
}  // namespace codex_bridgehub
