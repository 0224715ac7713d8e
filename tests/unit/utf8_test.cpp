// util::isValidUtf8, repairUtf8 and Utf8Chunker: text reaches clients whole, never broken.
#include "util/Utf8.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace agenthost::util {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";
// 1-, 2-, 3- and 4-byte sequences: 'a', 'é' (U+00E9), '€' (U+20AC), '😀' (U+1F600).
const std::string kMixed = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
const std::vector<std::string> kMixedCodePoints = {"a", "\xC3\xA9", "\xE2\x82\xAC",
                                                   "\xF0\x9F\x98\x80"};

std::string join(const std::vector<std::string>& pieces) {
    std::string out;
    for (const auto& p : pieces) out += p;
    return out;
}

// Code points in valid UTF-8: every byte that is not a continuation byte starts one.
std::size_t codePoints(const std::string& text) {
    std::size_t n = 0;
    for (unsigned char c : text) n += (c & 0xC0) != 0x80 ? 1 : 0;
    return n;
}

// Checks the chunker's promises for one stream and returns the text it produced.
std::string streamThrough(Utf8Chunker& chunker, const std::vector<std::string>& pushes,
                          std::size_t maxCodePoints) {
    std::string out;
    for (const auto& bytes : pushes) {
        for (const auto& chunk : chunker.push(bytes)) {
            EXPECT_FALSE(chunk.empty());
            EXPECT_TRUE(isValidUtf8(chunk)) << "a chunk broke a sequence";
            EXPECT_LE(codePoints(chunk), maxCodePoints);
            out += chunk;
        }
    }
    return out + chunker.flush();
}

std::string longMixedText() {
    std::string text;
    for (int i = 0; i < 25; ++i) text += kMixed + " ";
    return text;
}

TEST(Utf8Valid, AcceptsWellFormedText) {
    EXPECT_TRUE(isValidUtf8(""));
    EXPECT_TRUE(isValidUtf8("plain ascii"));
    EXPECT_TRUE(isValidUtf8(kMixed));
    EXPECT_TRUE(isValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
    EXPECT_TRUE(isValidUtf8("\xED\x9F\xBF"));      // U+D7FF, just below the surrogates
    EXPECT_TRUE(isValidUtf8("\xEE\x80\x80"));      // U+E000, just above them
}

TEST(Utf8Valid, RejectsOverlongs) {
    EXPECT_FALSE(isValidUtf8("\xC0\xAF"));  // '/' in two bytes
    EXPECT_FALSE(isValidUtf8("\xC1\xBF"));
    EXPECT_FALSE(isValidUtf8("\xE0\x80\xAF"));      // '/' in three bytes
    EXPECT_FALSE(isValidUtf8("\xE0\x9F\xBF"));      // U+07FF in three bytes
    EXPECT_FALSE(isValidUtf8("\xF0\x80\x80\xAF"));  // '/' in four bytes
    EXPECT_FALSE(isValidUtf8("\xF0\x8F\xBF\xBF"));  // U+FFFF in four bytes
}

TEST(Utf8Valid, RejectsSurrogatesAndValuesAboveTheLastCodePoint) {
    EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));      // U+D800
    EXPECT_FALSE(isValidUtf8("\xED\xBF\xBF"));      // U+DFFF
    EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // U+110000
    EXPECT_FALSE(isValidUtf8("\xF5\x80\x80\x80"));
    EXPECT_FALSE(isValidUtf8("\xFF"));
}

TEST(Utf8Valid, RejectsTruncatedAndStrayBytes) {
    EXPECT_FALSE(isValidUtf8("\xC3"));
    EXPECT_FALSE(isValidUtf8("\xE2\x82"));
    EXPECT_FALSE(isValidUtf8("\xF0\x9F\x98"));
    EXPECT_FALSE(isValidUtf8("a\x80z"));  // a lone continuation byte
    EXPECT_FALSE(isValidUtf8("\xC3z"));   // a lead byte without its continuation
}

TEST(Utf8Repair, KeepsValidTextUnchanged) {
    EXPECT_EQ(repairUtf8(kMixed), kMixed);
}

TEST(Utf8Repair, ReplacesEachIllFormedPieceAndKeepsTheRest) {
    EXPECT_EQ(repairUtf8("a\x80z"), "a" + kReplacement + "z");
    EXPECT_EQ(repairUtf8("\xFF\xFE"), kReplacement + kReplacement);
    EXPECT_EQ(repairUtf8("\xED\xA0\x80x"), kReplacement + kReplacement + kReplacement + "x");
    EXPECT_EQ(repairUtf8("\xC0\xAF"), kReplacement + kReplacement);
}

TEST(Utf8Repair, TruncatedSequenceBecomesOneReplacement) {
    // Unicode's "maximal subpart" practice, as browsers decode: a cut-short sequence is one
    // U+FFFD, and the byte that cut it short is kept.
    EXPECT_EQ(repairUtf8("\xF0\x9F\x98z"), kReplacement + "z");
    EXPECT_EQ(repairUtf8("\xE2\x82"), kReplacement);
    EXPECT_EQ(repairUtf8("x\xC3"), "x" + kReplacement);
    EXPECT_TRUE(isValidUtf8(repairUtf8("\xF0\x9F\x98\xF0\x9F\x98\x80")));
    EXPECT_EQ(repairUtf8("\xF0\x9F\x98\xF0\x9F\x98\x80"), kReplacement + "\xF0\x9F\x98\x80");
}

TEST(Utf8Chunker, NeverHoldsBackCompleteText) {
    Utf8Chunker chunker(100);
    EXPECT_EQ(chunker.push("ab"), std::vector<std::string>{"ab"});
    EXPECT_EQ(chunker.push(kMixed), std::vector<std::string>{kMixed});
    EXPECT_EQ(chunker.flush(), "");
}

TEST(Utf8Chunker, SplitsIntoChunksOfAtMostNCodePoints) {
    Utf8Chunker chunker(3);
    EXPECT_EQ(chunker.push("abcdefg"), (std::vector<std::string>{"abc", "def", "g"}));
    Utf8Chunker multiByte(2);
    EXPECT_EQ(multiByte.push(kMixed),
              (std::vector<std::string>{"a\xC3\xA9", "\xE2\x82\xAC\xF0\x9F\x98\x80"}));
}

TEST(Utf8Chunker, ChunkSizeOneGivesOneCodePointPerChunk) {
    Utf8Chunker chunker(1);
    EXPECT_EQ(chunker.push(kMixed), kMixedCodePoints);
}

TEST(Utf8Chunker, EveryChunkSizeKeepsTheTextWhole) {
    const std::string text = longMixedText();
    for (std::size_t size = 1; size <= 130; ++size) {
        Utf8Chunker chunker(size);
        EXPECT_EQ(streamThrough(chunker, {text}, size), text) << "chunk size " << size;
    }
}

TEST(Utf8Chunker, HoldsBackASplitSequenceAndJoinsIt) {
    Utf8Chunker chunker(100);
    EXPECT_EQ(chunker.push("x\xF0\x9F"), std::vector<std::string>{"x"});
    EXPECT_TRUE(chunker.push("\x98").empty());
    EXPECT_EQ(chunker.push("\x80y"), std::vector<std::string>{"\xF0\x9F\x98\x80y"});
    EXPECT_EQ(chunker.flush(), "");
}

TEST(Utf8Chunker, BytesPushedOneAtATimeComeOutWhole) {
    const std::string text = longMixedText();
    for (std::size_t size : {1u, 2u, 7u, 100u}) {
        std::vector<std::string> bytes;
        for (char c : text) bytes.emplace_back(1, c);
        Utf8Chunker chunker(size);
        EXPECT_EQ(streamThrough(chunker, bytes, size), text) << "chunk size " << size;
    }
}

TEST(Utf8Chunker, RandomSplitsComeOutWhole) {
    const std::string text = longMixedText();
    std::mt19937 random(20261126);
    for (int round = 0; round < 200; ++round) {
        std::vector<std::string> pushes;
        for (std::size_t i = 0; i < text.size();) {
            const std::size_t n = std::uniform_int_distribution<std::size_t>(0, 9)(random);
            pushes.push_back(text.substr(i, n));
            i += n;
        }
        const std::size_t size = std::uniform_int_distribution<std::size_t>(1, 12)(random);
        Utf8Chunker chunker(size);
        ASSERT_EQ(streamThrough(chunker, pushes, size), text) << "round " << round;
    }
}

TEST(Utf8Chunker, InvalidBytesBecomeReplacementCharacters) {
    Utf8Chunker chunker(100);
    EXPECT_EQ(join(chunker.push("a\xFF"
                                "b\x80"
                                "c")),
              "a" + kReplacement + "b" + kReplacement + "c");
    EXPECT_EQ(join(chunker.push("\xED\xA0\x80")), kReplacement + kReplacement + kReplacement);
}

TEST(Utf8Chunker, ReplacementCountsAsOneCodePoint) {
    Utf8Chunker chunker(2);
    EXPECT_EQ(chunker.push("\xFF"
                           "a\xFF"),
              (std::vector<std::string>{kReplacement + "a", kReplacement}));
}

TEST(Utf8Chunker, SplitSequenceBrokenByTheNextPushIsReplaced) {
    Utf8Chunker chunker(100);
    EXPECT_TRUE(chunker.push("\xE2\x82").empty());
    EXPECT_EQ(join(chunker.push("z")), kReplacement + "z");
}

TEST(Utf8Chunker, SameOutputWhateverTheSplitForInvalidInput) {
    const std::string text = "ok\xF0\x9F\x98z\xE2\x82\xFF\xC3\xA9\xED\xA0\x80!\xF0\x9F";
    Utf8Chunker whole(100);
    const std::string expected = streamThrough(whole, {text}, 100);
    EXPECT_TRUE(isValidUtf8(expected));
    EXPECT_EQ(expected, repairUtf8(text));
    std::vector<std::string> bytes;
    for (char c : text) bytes.emplace_back(1, c);
    Utf8Chunker byByte(3);
    EXPECT_EQ(streamThrough(byByte, bytes, 3), expected);
}

TEST(Utf8Chunker, FlushTurnsAnIncompleteTailIntoOneReplacement) {
    Utf8Chunker chunker(100);
    EXPECT_EQ(chunker.push("ab\xF0\x9F\x98"), std::vector<std::string>{"ab"});
    EXPECT_EQ(chunker.flush(), kReplacement);
    EXPECT_EQ(chunker.flush(), "");
    EXPECT_EQ(chunker.push("c"), std::vector<std::string>{"c"});  // usable after a flush
}

TEST(Utf8Chunker, EmptyPushGivesNothing) {
    Utf8Chunker chunker(5);
    EXPECT_TRUE(chunker.push("").empty());
    EXPECT_EQ(chunker.flush(), "");
}

TEST(Utf8Truncated, OnlyASequenceCutShortAtTheEndIsLeftOut) {
    EXPECT_EQ(withoutTruncatedEnd("ab\xF0\x9F\x98"), "ab");  // a cut emoji
    EXPECT_EQ(withoutTruncatedEnd("ab\xC3"), "ab");          // a cut two-byte sequence
    EXPECT_EQ(withoutTruncatedEnd("ab\xF0\x9F\x98\x80"), "ab\xF0\x9F\x98\x80");  // whole
    EXPECT_EQ(withoutTruncatedEnd("ab\xFF"), "ab\xFF");  // ill-formed: repaired later
    EXPECT_EQ(withoutTruncatedEnd("\xC3"
                                  "ab"),
              "\xC3"
              "ab");  // not at the end
    EXPECT_EQ(withoutTruncatedEnd(""), "");
}

// Utf8Validator: the same verdict as isValidUtf8 for every split of the text into two pieces,
// given at the piece that holds the first byte that cannot continue it.
TEST(Utf8Validator, GivesTheSameVerdictForEverySplit) {
    const std::string texts[] = {"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80!",
                                 "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5",
                                 "ab\xED\xA0\x80"
                                 "cd",  // surrogate
                                 "ab\xF4\x90\x80\x80"
                                 "cd",  // above U+10FFFF
                                 "ab\xE0\x80\xAF"
                                 "cd",       // overlong
                                 "ab\xC3"};  // cut short at the end
    for (const std::string& text : texts)
        for (std::size_t cut = 0; cut <= text.size(); ++cut) {
            Utf8Validator validator;
            const bool ok = validator.feed(text.substr(0, cut)) && validator.feed(text.substr(cut));
            EXPECT_EQ(ok && validator.complete(), isValidUtf8(text)) << "cut at " << cut;
        }
}

TEST(Utf8Validator, FailsAtThePieceThatMakesTheTextIllFormed) {
    Utf8Validator validator;
    EXPECT_TRUE(validator.feed("\xCE\xBA\xE1\xBD\xB9\xF4"));  // F4 may start a code point
    EXPECT_FALSE(validator.complete());
    EXPECT_FALSE(validator.feed("\x90"));  // but not F4 90: above U+10FFFF
}

TEST(Utf8Validator, TakesOneByteAtATime) {
    const std::string text = "\xF0\x9F\x98\x80\xE2\x82\xAC\xC3\xA9x";
    Utf8Validator validator;
    for (const char byte : text) EXPECT_TRUE(validator.feed(std::string(1, byte)));
    EXPECT_TRUE(validator.complete());
    validator.feed("\xE2\x82");
    validator.reset();
    EXPECT_TRUE(validator.complete());
}

}  // namespace
}  // namespace agenthost::util
