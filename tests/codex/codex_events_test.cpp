// parseCodexEvent and LineBuffer: the JSON lines of `codex exec --json`.
#include <gtest/gtest.h>

#include "CodexJsonEvents.h"

namespace codex_bridgehub {
namespace {

using Kind = CodexEvent::Kind;

TEST(CodexJsonEvents, ThreadStartedCarriesTheThreadId) {
    auto e = parseCodexEvent(R"({"type":"thread.started","thread_id":"0199a213-81c0-7800"})");
    EXPECT_EQ(e.kind, Kind::ThreadStarted);
    EXPECT_EQ(e.text, "0199a213-81c0-7800");
}

TEST(CodexJsonEvents, AgentMessageIsText) {
    auto e = parseCodexEvent(
        R"({"type":"item.completed","item":{"id":"item_1","type":"agent_message","text":"Hi \u00e9\ud83d\ude00"}})");
    EXPECT_EQ(e.kind, Kind::Text);
    EXPECT_EQ(e.text, "Hi \xC3\xA9\xF0\x9F\x98\x80");
}

TEST(CodexJsonEvents, TurnCompletedCarriesUsage) {
    auto e = parseCodexEvent(
        R"({"type":"turn.completed","usage":{"input_tokens":1200,"cached_input_tokens":200,"output_tokens":345}})");
    EXPECT_EQ(e.kind, Kind::TurnCompleted);
    EXPECT_EQ(e.inputTokens, 1200u);
    EXPECT_EQ(e.outputTokens, 345u);
}

TEST(CodexJsonEvents, TurnFailedAndErrorAreFailures) {
    auto failed = parseCodexEvent(R"({"type":"turn.failed","error":{"message":"quota exceeded"}})");
    EXPECT_EQ(failed.kind, Kind::Failed);
    EXPECT_EQ(failed.text, "quota exceeded");
    auto error = parseCodexEvent(R"({"type":"error","message":"stream disconnected"})");
    EXPECT_EQ(error.kind, Kind::Failed);
    EXPECT_EQ(error.text, "stream disconnected");
    EXPECT_FALSE(parseCodexEvent(R"({"type":"turn.failed"})").text.empty());
}

TEST(CodexJsonEvents, UnknownOrBrokenLinesAreIgnored) {
    for (const char* line :
         {R"({"type":"turn.started"})",
          R"({"type":"item.completed","item":{"type":"plan","text":"x"}})",
          R"({"type":"item.completed","item":{"type":"reasoning","text":""}})",
          R"({"type":"item.started","item":{"type":"agent_message","text":"x"}})",
          R"({"type":"something.new","x":1})", R"([1,2])", "not json", "",
          R"({"type":"item.completed","item":"oops"})"})
        EXPECT_EQ(parseCodexEvent(line).kind, Kind::Ignored) << line;
}

TEST(CodexLineBuffer, JoinsLinesSplitAcrossReadsAndDropsCarriageReturns) {
    LineBuffer buffer;
    std::vector<std::string> lines;
    auto collect = [&](std::string_view line) { lines.emplace_back(line); };
    buffer.feed("one\r\ntw", collect);
    buffer.feed("o\n\nthr", collect);
    EXPECT_EQ(lines, (std::vector<std::string>{"one", "two", ""}));
    EXPECT_EQ(buffer.takeRest(), "thr");
}

}  // namespace
}  // namespace codex_bridgehub
