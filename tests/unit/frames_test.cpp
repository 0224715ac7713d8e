// protocol::parseClientFrame and the server frame builders.
#include "protocol/Frames.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "protocol/EventKinds.h"
#include "support/WsClient.h"

namespace agenthost::protocol {
namespace {

using test::parseJson;

// ^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$, spelled out: std::regex trips a false
// -Wmaybe-uninitialized in GCC 12's ASan builds. '9' in the shape stands for any digit.
bool isTimestamp(const std::string& text) {
    const std::string shape = "9999-99-99T99:99:99.999Z";
    if (text.size() != shape.size()) return false;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        const bool digit = text[i] >= '0' && text[i] <= '9';
        if (shape[i] == '9' ? !digit : text[i] != shape[i]) return false;
    }
    return true;
}

void expectTimestamp(const Poco::JSON::Object::Ptr& frame) {
    ASSERT_TRUE(frame->has("timestamp"));
    const auto stamp = frame->getValue<std::string>("timestamp");
    EXPECT_TRUE(isTimestamp(stamp)) << stamp;
}

TEST(Frames, TimestampShapeCheckRejectsNearMisses) {
    EXPECT_TRUE(isTimestamp("2026-11-26T10:30:00.123Z"));
    EXPECT_FALSE(isTimestamp("2026-11-26T10:30:00.12Z"));
    EXPECT_FALSE(isTimestamp("2026-11-26 10:30:00.123Z"));
    EXPECT_FALSE(isTimestamp("2026-11-26T10:30:00.123+00:00"));
    EXPECT_FALSE(isTimestamp("2026-11-26T10:30:0a.123Z"));
}

TEST(Frames, TimestampIsIsoUtcWithMilliseconds) {
    for (int i = 0; i < 20; ++i) {
        const std::string stamp = timestampNow();
        EXPECT_TRUE(isTimestamp(stamp)) << stamp;
    }
}

TEST(Frames, ReadyFrame) {
    const auto ready =
        parseJson(readyFrame({"claude", "s-1", "2.3.4", 1, "c-0123456789abcdef", 7}));
    EXPECT_EQ(ready->getValue<std::string>("type"), "ready");
    EXPECT_EQ(ready->getValue<std::string>("content"), "claude ready");
    EXPECT_EQ(ready->getValue<std::string>("session_id"), "s-1");
    EXPECT_EQ(ready->getValue<std::string>("plugin"), "claude");
    EXPECT_EQ(ready->getValue<std::string>("version"), "2.3.4");
    EXPECT_EQ(ready->getValue<int>("protocol"), 1);
    EXPECT_EQ(ready->getValue<std::string>("conversation_id"), "c-0123456789abcdef");
    EXPECT_EQ(ready->getValue<int>("last_seq"), 7);
    expectTimestamp(ready);
}

TEST(Frames, TurnFrameAddsSeqAndTurnAndKeepsTheProtocol1Form) {
    const std::string plain = messageFrame("hi");
    const auto tagged = tagTurn(plain, 12, 3);
    EXPECT_EQ(tagged.protocol1(), plain);
    const auto object = parseJson(tagged.json);
    EXPECT_EQ(object->getValue<std::string>("content"), "hi");
    EXPECT_EQ(object->getValue<int>("seq"), 12);
    EXPECT_EQ(object->getValue<int>("turn"), 3);
    const auto replay = parseJson(replayOf(tagged.json));
    EXPECT_TRUE(replay->getValue<bool>("replay"));
    EXPECT_EQ(replay->getValue<int>("seq"), 12);
}

TEST(Frames, ResumeFrameIsRead) {
    auto frame = parseClientFrame(R"({"type":"resume","conversation_id":"abc","after_seq":5})");
    EXPECT_EQ(frame.kind, ClientFrame::Kind::Resume);
    EXPECT_EQ(frame.content, "abc");
    EXPECT_EQ(frame.afterSeq, 5);
    frame = parseClientFrame(R"({"type":"resume","conversation_id":"abc"})");
    EXPECT_EQ(frame.kind, ClientFrame::Kind::Resume);
    EXPECT_EQ(frame.afterSeq, 0);
    EXPECT_EQ(parseClientFrame(R"({"type":"resume","conversation_id":"abc","after_seq":"5"})").kind,
              ClientFrame::Kind::Invalid);
    EXPECT_EQ(parseClientFrame(R"({"type":"resume"})").kind, ClientFrame::Kind::Invalid);
}

TEST(Frames, MessageFrameEscapesQuotesNewlinesAndUnicode) {
    const std::string text =
        "say \"hi\"\nback\\slash\ttab \x01 caf\xC3\xA9 \xF0\x9F\x98\x80 </script>";
    const std::string json = messageFrame(text);
    EXPECT_EQ(json.find('\n'), std::string::npos) << "raw newline in " << json;
    EXPECT_NE(json.find(R"(\"hi\")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"(\n)"), std::string::npos) << json;
    const auto frame = parseJson(json);
    EXPECT_EQ(frame->getValue<std::string>("type"), "message");
    EXPECT_EQ(frame->getValue<std::string>("content"), text);
    expectTimestamp(frame);
}

TEST(Frames, CompleteFrameWithAndWithoutUsage) {
    const auto plain = parseJson(completeFrame(std::nullopt));
    EXPECT_EQ(plain->getValue<std::string>("type"), "complete");
    EXPECT_EQ(plain->getValue<std::string>("content"), "Response complete");
    EXPECT_FALSE(plain->has("usage"));
    EXPECT_FALSE(plain->has("cancelled"));
    expectTimestamp(plain);

    const auto withUsage = parseJson(completeFrame(Usage{12, 3456789012345}));
    auto usage = withUsage->getObject("usage");
    ASSERT_TRUE(usage);
    EXPECT_EQ(usage->getValue<std::uint64_t>("input_tokens"), 12u);
    EXPECT_EQ(usage->getValue<std::uint64_t>("output_tokens"), 3456789012345u);
    expectTimestamp(withUsage);
}

TEST(Frames, CompleteFrameCarriesPromptCacheUsageWhenReported) {
    Usage usage{3, 40};
    EXPECT_FALSE(
        parseJson(completeFrame(usage))->getObject("usage")->has("cache_read_input_tokens"));
    usage.hasCache = true;
    usage.cacheCreationInputTokens = 500;
    usage.cacheReadInputTokens = 7000;
    const auto json = parseJson(completeFrame(usage))->getObject("usage");
    EXPECT_EQ(json->getValue<std::uint64_t>("input_tokens"), 3u);
    EXPECT_EQ(json->getValue<std::uint64_t>("cache_creation_input_tokens"), 500u);
    EXPECT_EQ(json->getValue<std::uint64_t>("cache_read_input_tokens"), 7000u);
}

TEST(Frames, CancelledFrameIsACompleteFrame) {
    const auto frame = parseJson(cancelledFrame());
    EXPECT_EQ(frame->getValue<std::string>("type"), "complete");
    EXPECT_EQ(frame->getValue<std::string>("content"), "Response cancelled");
    EXPECT_TRUE(frame->getValue<bool>("cancelled"));
    expectTimestamp(frame);
}

TEST(Frames, ErrorFrameCarriesCodeAndText) {
    const auto frame = parseJson(errorFrame(error_code::kPluginError, "it \"broke\"\n"));
    EXPECT_EQ(frame->getValue<std::string>("type"), "error");
    EXPECT_EQ(frame->getValue<std::string>("code"), "plugin_error");
    EXPECT_EQ(frame->getValue<std::string>("content"), "it \"broke\"\n");
    expectTimestamp(frame);
}

TEST(Frames, PongFrame) {
    const auto frame = parseJson(pongFrame());
    EXPECT_EQ(frame->getValue<std::string>("type"), "pong");
    expectTimestamp(frame);
}

TEST(ClientFrames, MessageInBothForms) {
    auto app = parseClientFrame(R"({"content":"hello \"you\"\n\u00e9"})");
    EXPECT_EQ(app.kind, ClientFrame::Kind::Message);
    EXPECT_EQ(app.content, "hello \"you\"\n\xC3\xA9");
    auto typed = parseClientFrame(R"({"type":"message","content":"hi","extra":1})");
    EXPECT_EQ(typed.kind, ClientFrame::Kind::Message);
    EXPECT_EQ(typed.content, "hi");
}

TEST(ClientFrames, CancelAndPing) {
    EXPECT_EQ(parseClientFrame(R"({"type":"cancel"})").kind, ClientFrame::Kind::Cancel);
    EXPECT_EQ(parseClientFrame(R"({"type":"ping"})").kind, ClientFrame::Kind::Ping);
}

TEST(ClientFrames, InvalidFramesSayWhy) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"not json", "JSON"},
        {"", "JSON"},
        {R"(["content"])", "object"},
        {R"("text")", ""},  // Poco 1.11 refuses a bare value as JSON: either reason is fine
        {R"({"type":5,"content":"x"})", "type"},
        {R"({"type":"dance"})", "dance"},
        {R"({})", "content"},
        {R"({"content":5})", "content"},
        {R"({"content":null})", "content"},
        {R"({"content":["a"]})", "content"},
    };
    for (const auto& [text, why] : cases) {
        const auto frame = parseClientFrame(text);
        EXPECT_EQ(frame.kind, ClientFrame::Kind::Invalid) << text;
        EXPECT_NE(frame.content.find(why), std::string::npos) << text << " -> " << frame.content;
    }
}

}  // namespace
}  // namespace agenthost::protocol

namespace agenthost::protocol {
namespace {

struct ParseCase {
    std::string text;
    ClientFrame::Kind kind;
    std::string content;
};

// Simple frames take a fast path and everything else the full parser: both must give the
// same answers, whatever the spacing, escapes, extra keys or mistakes.
TEST(ClientFrames, EveryShapeParsesTheSame) {
    using Kind = ClientFrame::Kind;
    const std::vector<ParseCase> cases = {
        {R"({"content":"hello"})", Kind::Message, "hello"},
        {" \t\r\n{ \"content\" : \"hello\" , \"type\" : \"message\" } \n", Kind::Message, "hello"},
        {R"({"type":"message","content":"h\u00e9\nllo \"q\""})", Kind::Message,
         "h\xC3\xA9\nllo \"q\""},
        {R"({"content":"caf)"
         "\xC3\xA9"
         R"(","client":"ios"})",
         Kind::Message, "caf\xC3\xA9"},
        {R"({"content":"x","extra":{"nested":[1,2]}})", Kind::Message, "x"},
        {R"({"content":""})", Kind::Message, ""},
        {R"({"type":"cancel"})", Kind::Cancel, ""},
        {R"({"type":"ping","content":"ignored"})", Kind::Ping, ""},
        {R"({})", Kind::Invalid, "a message needs a string \"content\""},
        {R"({"content":5})", Kind::Invalid, "a message needs a string \"content\""},
        {R"({"type":7,"content":"x"})", Kind::Invalid, "\"type\" must be a string"},
        {R"({"type":"dance"})", Kind::Invalid, "unknown type \"dance\""},
        {R"({"content":"a"} trailing)", Kind::Invalid, "frame is not valid JSON"},
        {R"({"content":"a")", Kind::Invalid, "frame is not valid JSON"},
        {R"({"content" "a"})", Kind::Invalid, "frame is not valid JSON"},
        {"{\"content\":\"tab\there\"}", Kind::Invalid, "frame is not valid JSON"},
        {R"(["content","a"])", Kind::Invalid, "frame must be a JSON object"},
        {R"("content")", Kind::Invalid,
         "frame is not valid JSON"},  // Poco 1.11: objects and arrays only
    };
    for (const auto& c : cases) {
        const auto frame = parseClientFrame(c.text);
        EXPECT_EQ(frame.kind, c.kind) << c.text;
        EXPECT_EQ(frame.content, c.content) << c.text;
    }
}

}  // namespace
}  // namespace agenthost::protocol

namespace agenthost::protocol {
namespace {

TEST(EventFrames, EventFrameHasKindContentDataAndTimestampBeforeSeqAndTurn) {
    const auto tagged = tagTurn(eventFrame("status", "echoing", R"({"characters":5})"), 3, 1);
    const auto frame = test::parseJson(tagged.json);
    std::vector<std::string> names;
    frame->getNames(names);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"content", "data", "kind", "seq", "timestamp",
                                               "turn", "type"}));
    EXPECT_EQ(frame->getValue<std::string>("type"), "event");
    EXPECT_EQ(frame->getValue<std::string>("kind"), "status");
    EXPECT_EQ(frame->getValue<std::string>("content"), "echoing");
    EXPECT_EQ(frame->getObject("data")->getValue<int>("characters"), 5);
    EXPECT_EQ(frame->getValue<int>("seq"), 3);
    EXPECT_EQ(eventKindOfFrame(tagged.json), EventKind::Status);
    EXPECT_EQ(eventKindOfFrame(replayOf(tagged.json)), EventKind::Status);
    EXPECT_EQ(eventKindOfFrame(messageFrame("{\"type\":\"event\"")), std::nullopt);
}

TEST(EventFrames, DataMustBeOneJsonObject) {
    EXPECT_EQ(compactJsonObject(""), "{}");
    EXPECT_EQ(compactJsonObject("  "), "{}");
    EXPECT_EQ(compactJsonObject(R"( { "b" : 1, "a" : [true, null, "x"] } )"),
              R"({"b":1,"a":[true,null,"x"]})");
    EXPECT_EQ(compactJsonObject("[1]"), std::nullopt);
    EXPECT_EQ(compactJsonObject("\"text\""), std::nullopt);
    EXPECT_EQ(compactJsonObject("{\"a\":"), std::nullopt);
    EXPECT_EQ(compactJsonObject("not json"), std::nullopt);
}

TEST(EventFrames, FilterParsesKindsAndRefusesUnknownOnes) {
    auto filter = EventFilter::parse(" thinking , status");
    ASSERT_TRUE(filter);
    EXPECT_TRUE(filter->admits(EventKind::Thinking));
    EXPECT_TRUE(filter->admits(EventKind::Status));
    EXPECT_FALSE(filter->admits(EventKind::ApprovalRequest));
    auto none = EventFilter::parse("");
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->admits(EventKind::Thinking));
    std::string unknown;
    EXPECT_FALSE(EventFilter::parse("thinking,reasoning", &unknown));
    EXPECT_EQ(unknown, "reasoning");
    EXPECT_TRUE(EventFilter::all().admits(EventKind::FileChange));
}

TEST(EventFrames, ApproveFrame) {
    auto accept = parseClientFrame(R"({"type":"approve","approval_id":"abc","decision":"accept"})");
    EXPECT_EQ(accept.kind, ClientFrame::Kind::Approve);
    EXPECT_EQ(accept.content, "abc");
    EXPECT_TRUE(accept.accept);
    auto decline = parseClientFrame(
        R"({ "decision": "decline", "approval_id": "a\u0062c", "type": "approve" })");
    EXPECT_EQ(decline.kind, ClientFrame::Kind::Approve);
    EXPECT_EQ(decline.content, "abc");
    EXPECT_FALSE(decline.accept);
    for (const char* bad :
         {R"({"type":"approve","decision":"accept"})", R"({"type":"approve","approval_id":"abc"})",
          R"({"type":"approve","approval_id":"abc","decision":"yes"})",
          R"({"type":"approve","approval_id":7,"decision":"accept"})",
          R"({"type":"approve","approval_id":"abc","decision":true})"})
        EXPECT_EQ(parseClientFrame(bad).kind, ClientFrame::Kind::Invalid) << bad;
}

}  // namespace
}  // namespace agenthost::protocol
