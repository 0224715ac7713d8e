// Resumes the server must refuse, and what a refusal leaves behind. Another key probing ids
// learns nothing (the same conversation_not_found for a foreign id as for an unknown one, the
// same 404 body over HTTP); another route's conversation is not found either; a bad after_seq
// or a malformed URL value is invalid_message; a refused URL resume still upgrades onto a new
// conversation, and a refused resume frame changes nothing at all.
#include <string>
#include <vector>

#include "ConversationTest.h"

namespace agenthost::test {
namespace {

// Shaped like a real id, but no conversation has it.
constexpr const char* kUnknownId = "AAAAAAAAAAAAAAAAAAAAAA";

// A conversation of the test key on /api/echo/ws with one finished turn (last_seq 3).
Connection conversationWithATurn(const HostProcess& host, const std::string& route = "echo") {
    auto connection = startConversation(host, route);
    connection->sendMessage("mine");
    connection->readUntil(terminalOfTurn(1));
    return connection;
}

// The error frame without its timestamp, to compare refusals with each other.
std::string withoutTimestamp(const FramePtr& frame) {
    Poco::JSON::Object copy(*frame);
    copy.remove("timestamp");
    std::ostringstream out;
    copy.stringify(out);
    return out.str();
}

// A turn's frames: its user frame with `firstSeq` and `turn` first, its complete frame last.
void expectTurnContinues(const Frames& frames, int turn, std::int64_t firstSeq) {
    ASSERT_GE(frames.size(), 3u) << describeFrames(frames);
    EXPECT_EQ(typeOf(frames.front()), "user") << describeFrames(frames);
    EXPECT_EQ(turnOf(frames.front()), turn) << describeFrames(frames);
    EXPECT_EQ(seqOf(frames.front()), firstSeq) << describeFrames(frames);
    EXPECT_EQ(typeOf(frames.back()), "complete") << describeFrames(frames);
}

void expectRefusal(const FramePtr& error, const std::string& code) {
    EXPECT_EQ(typeOf(error), "error") << canonical(error);
    EXPECT_EQ(codeOf(error), code) << canonical(error);
    EXPECT_FALSE(error->has("seq")) << canonical(error);
}

// A URL resume that must be refused with `code`: the connection is upgraded onto a new, empty
// conversation, then gets the error. Returns the error frame.
FramePtr refusedUrlResume(const HostProcess& host, const std::string& path,
                          const std::string& refusedId, const std::string& code,
                          const std::string& key = kTestKey) {
    auto connection = connectTo(host, path, key);
    EXPECT_NE(connection.conversationId(), refusedId);
    EXPECT_FALSE(connection.conversationId().empty());
    EXPECT_EQ(connection.lastSeq(), 0);
    auto error = connection->receiveJson();
    expectRefusal(error, code);
    // And the connection works, on its own new conversation.
    connection->sendMessage("after the refusal");
    expectTurnContinues(connection->readUntil(terminalOfTurn(1), 20s), 1, 1);
    return error;
}

// A resume frame that must be refused with `code`, on a connection that has a conversation
// of its own with one turn; afterwards that conversation goes on as if nothing happened.
FramePtr refusedFrameResume(const HostProcess& host, const std::string& route,
                            const std::string& refusedId, std::int64_t afterSeq,
                            const std::string& code, const std::string& key = kTestKey) {
    auto connection = startConversation(host, route, key);
    connection->sendMessage("before");
    const std::int64_t lastSeq = seqOf(connection->readUntil(terminalOfTurn(1), 20s).back());
    auto error = sendResume(*connection.client, refusedId, afterSeq);
    expectRefusal(error, code);
    connection->sendMessage("after");
    // The refusal left the connection on its own conversation: turn 2, the next seq.
    expectTurnContinues(connection->readUntil(terminalOfTurn(2), 20s), 2, lastSeq + 1);
    return error;
}

// `text` with every `id` in it written as <id>.
std::string withIdAs(std::string text, const std::string& id) {
    for (auto at = text.find(id); at != std::string::npos; at = text.find(id, at))
        text.replace(at, id.size(), "<id>");
    return text;
}

TEST(Refusal, AnotherKeyGetsConversationNotFoundExactlyAsForAnUnknownId) {
    HostProcess host(conversationConfig());
    auto mine = conversationWithATurn(host);
    const std::string id = mine.conversationId();
    for (const char* key : {kOtherKey, kThirdKey}) {
        SCOPED_TRACE(key);
        auto foreignByUrl =
            refusedUrlResume(host, resumePath("echo", id, 0), id, "conversation_not_found", key);
        auto unknownByUrl = refusedUrlResume(host, resumePath("echo", kUnknownId, 0), kUnknownId,
                                             "conversation_not_found", key);
        EXPECT_EQ(withIdAs(withoutTimestamp(foreignByUrl), id),
                  withIdAs(withoutTimestamp(unknownByUrl), kUnknownId));
        auto foreignByFrame =
            refusedFrameResume(host, "echo", id, 0, "conversation_not_found", key);
        auto unknownByFrame =
            refusedFrameResume(host, "echo", kUnknownId, 0, "conversation_not_found", key);
        EXPECT_EQ(withIdAs(withoutTimestamp(foreignByFrame), id),
                  withIdAs(withoutTimestamp(unknownByFrame), kUnknownId));
    }
    // The probing changed nothing for the owner.
    mine->sendMessage("still mine");
    EXPECT_EQ(describeFrames(mine->readUntil(terminalOfTurn(2))), "user#4 message#5 complete#6");
}

TEST(Refusal, AnotherKeyGetsTheSame404OverHttpAsForAnUnknownId) {
    HostProcess host(conversationConfig());
    auto mine = conversationWithATurn(host);
    const std::string id = mine.conversationId();
    const std::vector<std::pair<std::string, std::string>> requests{
        {"GET", ""}, {"GET", "?format=markdown"}, {"GET", "/frames?after_seq=0"}, {"DELETE", ""}};
    for (const auto& [method, suffix] : requests) {
        SCOPED_TRACE(method + " " + suffix);
        auto unknown = api(host, method, "/api/conversations/" + std::string(kUnknownId) + suffix);
        EXPECT_EQ(unknown.status, 404);
        auto notFound = parseJson(unknown.body);
        EXPECT_EQ(notFound->getValue<std::string>("error"), "not_found");
        EXPECT_TRUE(notFound->has("message"));
        for (const char* key : {kOtherKey, kThirdKey}) {
            auto foreign = api(host, method, "/api/conversations/" + id + suffix, key);
            EXPECT_EQ(foreign.status, 404);
            // The same body, but for the id asked about, should the message repeat it.
            EXPECT_EQ(withIdAs(foreign.body, id), withIdAs(unknown.body, kUnknownId))
                << "a foreign id must look like an unknown one";
            EXPECT_EQ(foreign.header("Content-Type"), unknown.header("Content-Type"));
        }
    }
    // The foreign DELETE deleted nothing.
    EXPECT_EQ(typeOf(sendResume(*startConversation(host).client, id, 0)), "resumed");
    EXPECT_NE(getConversation(host, id), nullptr);
    auto list = api(host, "GET", "/api/conversations", kThirdKey);
    ASSERT_EQ(list.status, 200) << list.body;
    EXPECT_EQ(parseJson(list.body)->getArray("conversations")->size(), 0u);
}

TEST(Refusal, AConversationOfAnotherRouteIsNotFound) {
    HostProcess host(conversationConfig());
    auto onEcho = conversationWithATurn(host, "echo");
    const std::string id = onEcho.conversationId();
    refusedUrlResume(host, resumePath("slow", id, 0), id, "conversation_not_found");
    refusedFrameResume(host, "slow", id, 0, "conversation_not_found");
}

TEST(Refusal, AfterSeqBeyondLastSeqOrNegativeIsInvalidMessage) {
    HostProcess host(conversationConfig());
    auto mine = conversationWithATurn(host);  // last_seq 3
    const std::string id = mine.conversationId();
    for (std::int64_t afterSeq : {4, 1000, -1}) {
        SCOPED_TRACE("after_seq " + std::to_string(afterSeq));
        refusedUrlResume(host, resumePath("echo", id, afterSeq), id, "invalid_message");
        refusedFrameResume(host, "echo", id, afterSeq, "invalid_message");
    }
    // The boundary itself is fine: nothing to replay.
    auto atTheEnd = resumeByUrl(host, "echo", id, 3);
    EXPECT_EQ(atTheEnd.conversationId(), id);
    expectSilence(*atTheEnd.client, 300ms);
}

TEST(Refusal, MalformedUrlValuesAreInvalidMessageOnANewConversation) {
    HostProcess host(conversationConfig());
    auto mine = conversationWithATurn(host);
    const std::string id = mine.conversationId();
    const std::string base = protocol2Path("echo");
    for (const std::string& query : std::vector<std::string>{
             "&conversation=" + id + "&after_seq=abc", "&conversation=" + id + "&after_seq=1.5",
             "&conversation=" + id + "&after_seq=99999999999999999999999",
             "&conversation=not%20an%20id%21&after_seq=0",
             "&conversation=%2E%2E%2Fetc&after_seq=0"}) {
        SCOPED_TRACE(query);
        refusedUrlResume(host, base + query, id, "invalid_message");
    }
}

TEST(Refusal, ARefusedResumeFrameLeavesAProtocol1ConnectionOnProtocol1) {
    HostProcess host(conversationConfig());
    auto legacy = connectTo(host, "/api/echo/ws");
    ASSERT_EQ(legacy.ready->getValue<int>("protocol"), 1);
    auto error = sendResume(*legacy.client, kUnknownId, 0);
    EXPECT_EQ(codeOf(error), "conversation_not_found") << canonical(error);
    legacy->sendMessage("plain");
    auto frames = legacy->readUntil(isType("complete"));
    ASSERT_EQ(frames.size(), 2u) << describeFrames(frames) << ": still protocol 1, no user frame";
    EXPECT_EQ(typeOf(frames[0]), "message");
    EXPECT_EQ(frames[0]->getValue<std::string>("content"), "plain");
}

TEST(Refusal, ARefusedMessageIsNotPartOfTheConversation) {
    HostProcess host(conversationConfig());
    auto connection = conversationWithATurn(host);
    for (const std::string& bad : {std::string(R"({"type":"bogus"})"), std::string("not json"),
                                   std::string(R"({"content":42})")}) {
        connection->sendText(bad);
        auto error = connection->receiveJson();
        EXPECT_EQ(typeOf(error), "error") << canonical(error);
        EXPECT_EQ(codeOf(error), "invalid_message") << canonical(error);
        EXPECT_FALSE(error->has("seq")) << canonical(error);
        EXPECT_FALSE(error->has("turn")) << canonical(error);
    }
    connection->sendMessage("good");
    EXPECT_EQ(describeFrames(connection->readUntil(terminalOfTurn(2))),
              "user#4 message#5 complete#6");
    auto again = resumeByUrl(host, "echo", connection.conversationId(), 0);
    EXPECT_EQ(describeFrames(again->readUntil(seqAtLeast(6))),
              "user#1r message#2r complete#3r user#4r message#5r complete#6r")
        << "refusals are not stored";
    auto stored = api(host, "GET",
                      "/api/conversations/" + connection.conversationId() + "/frames?after_seq=0");
    ASSERT_EQ(stored.status, 200) << stored.body;
    EXPECT_EQ(parseJson(stored.body)->getArray("frames")->size(), 6u) << "refusals are not stored";
}

}  // namespace
}  // namespace agenthost::test
