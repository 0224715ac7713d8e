// Approvals: echo with `ask_approval = true` asks before it echoes; the client answers with an
// approve frame, or at the route's approval_timeout_s its approval_policy decides (decline by
// default). Each approval ends exactly once, and a status event tells every connection (and
// later replays) how it ended.
#include <string>
#include <vector>

#include "EventsTest.h"

namespace agenthost::test {
namespace {

using Shape = std::vector<std::string>;

// Sends `text` and reads up to its approval request, which it checks.
FramePtr askedFor(Connection& client, const std::string& text, int turn = 1) {
    client->sendMessage(text);
    const auto frames = client->readUntil(isEventOf("approval_request"));
    EXPECT_EQ(shapeOf(frames), (Shape{"user", "event:approval_request"}));
    const auto request = frames.back();
    EXPECT_EQ(turnOf(request), turn);
    EXPECT_EQ(request->getValue<std::string>("content"), "Echo `" + text + "`?");
    const auto data = request->getObject("data");
    EXPECT_EQ(data->getValue<std::string>("action"), "command");
    EXPECT_EQ(data->getObject("detail")->getValue<std::string>("command"), "echo");
    EXPECT_GE(approvalIdOf(request).size(), 16u);
    return request;
}

void expectDecision(const FramePtr& status, const std::string& approvalId,
                    const std::string& decision, const std::string& by) {
    ASSERT_TRUE(isEvent(status, "status")) << canonical(status);
    const auto data = status->getObject("data");
    EXPECT_EQ(data->getValue<std::string>("approval_id"), approvalId);
    EXPECT_EQ(data->getValue<std::string>("decision"), decision);
    EXPECT_EQ(data->getValue<std::string>("by"), by);
}

TEST(Approvals, AcceptedTheAgentGoesOn) {
    HostProcess host(eventsConfig());
    auto client = startConversation(host, "ask");
    const auto request = askedFor(client, "hello");
    client->sendJson(approveFrame(approvalIdOf(request), "accept"));
    const auto frames = client->readUntil(terminalOfTurn(1));
    EXPECT_EQ(shapeOf(frames), (Shape{"event:status", "message", "complete"}));
    expectDecision(frames[0], approvalIdOf(request), "accept", "client");
    EXPECT_EQ(frames[1]->getValue<std::string>("content"), "hello");
    EXPECT_EQ(seqsOf(frames), (std::vector<std::int64_t>{3, 4, 5}));
}

TEST(Approvals, DeclinedTheAgentStops) {
    HostProcess host(eventsConfig());
    auto client = startConversation(host, "ask");
    const auto request = askedFor(client, "rm -rf");
    client->sendJson(approveFrame(approvalIdOf(request), "decline"));
    const auto frames = client->readUntil(terminalOfTurn(1));
    EXPECT_EQ(shapeOf(frames), (Shape{"event:status", "error"}));
    expectDecision(frames[0], approvalIdOf(request), "decline", "client");
    EXPECT_EQ(codeOf(frames[1]), "declined");
}

TEST(Approvals, NoAnswerWithinTheTimeoutIsADecline) {
    HostProcess host(eventsConfig());
    auto client = startConversation(host, "quick");
    const auto request = askedFor(client, "hello");
    const auto asked = std::chrono::steady_clock::now();
    const auto frames = client->readUntil(terminalOfTurn(1), 10s);
    const auto waited = std::chrono::steady_clock::now() - asked;
    EXPECT_EQ(shapeOf(frames), (Shape{"event:status", "error"}));
    expectDecision(frames[0], approvalIdOf(request), "decline", "timeout");
    EXPECT_EQ(codeOf(frames[1]), "declined");
    EXPECT_GE(waited, 800ms);  // approval_timeout_s = 1, give or take the timer's rounding
    // Too late now.
    client->sendJson(approveFrame(approvalIdOf(request), "accept"));
    EXPECT_EQ(codeOf(client->readUntil(isType("error")).back()), "approval_not_found");
}

// approval_policy = accept: an unanswered approval is accepted at the timeout, and says so.
TEST(Approvals, NoAnswerWithinTheTimeoutIsDecidedByTheRoutesPolicy) {
    HostProcess host(eventsConfig());
    auto client = startConversation(host, "lenient");
    const auto request = askedFor(client, "hello");
    const auto frames = client->readUntil(terminalOfTurn(1), 10s);
    EXPECT_EQ(shapeOf(frames), (Shape{"event:status", "message", "complete"}));
    expectDecision(frames[0], approvalIdOf(request), "accept", "timeout");
    EXPECT_EQ(frames[0]->getValue<std::string>("content"),
              "Approved by the route's policy: no answer in time");
    EXPECT_EQ(frames[1]->getValue<std::string>("content"), "hello");
}

TEST(Approvals, AnUnknownOrAnsweredIdGetsApprovalNotFound) {
    HostProcess host(eventsConfig());
    auto client = startConversation(host, "ask");
    client->sendJson(approveFrame("no-such-approval-0123456789", "accept"));
    const auto unknown = client->receiveJson();
    EXPECT_EQ(codeOf(unknown), "approval_not_found");
    EXPECT_FALSE(unknown->has("seq"));

    const auto request = askedFor(client, "hello");
    client->sendJson(approveFrame(approvalIdOf(request), "accept"));
    client->readUntil(terminalOfTurn(1));
    client->sendJson(approveFrame(approvalIdOf(request), "decline"));  // answered already
    EXPECT_EQ(codeOf(client->receiveJson()), "approval_not_found");
    expectSilence(*client.client, 300ms);
}

TEST(Approvals, AMalformedApproveIsAnInvalidMessage) {
    HostProcess host(eventsConfig());
    auto client = startConversation(host, "ask");
    const auto request = askedFor(client, "hello");
    client->sendJson(R"({"type":"approve","approval_id":")" + approvalIdOf(request) +
                     R"(","decision":"maybe"})");
    const auto error = client->receiveJson();
    EXPECT_EQ(codeOf(error), "invalid_message");
    EXPECT_FALSE(error->has("seq"));
    // Still open: a proper answer works.
    client->sendJson(approveFrame(approvalIdOf(request), "accept"));
    EXPECT_EQ(client->readUntil(terminalOfTurn(1)).back()->getValue<std::string>("type"),
              "complete");
}

TEST(Approvals, CancellingTheTurnEndsItsApproval) {
    HostProcess host(eventsConfig());
    auto client = startConversation(host, "ask");
    const auto request = askedFor(client, "hello");
    client->sendJson(R"({"type":"cancel"})");
    const auto end = client->readUntil(terminalOfTurn(1)).back();
    EXPECT_TRUE(end->optValue<bool>("cancelled", false)) << canonical(end);
    client->sendJson(approveFrame(approvalIdOf(request), "accept"));
    EXPECT_EQ(codeOf(client->receiveJson()), "approval_not_found");
    expectSilence(*client.client, 300ms);
}

TEST(Approvals, AnsweredAfterAReconnectFromTheReplay) {
    HostProcess host(eventsConfig());
    auto first = startConversation(host, "ask");
    const auto request = askedFor(first, "hello");
    const std::string id = first.conversationId();
    first->drop();

    auto second = resumeByUrl(host, "ask", id, 1);  // after the user frame
    EXPECT_EQ(second.lastSeq(), 2);
    const auto replayed = second->receiveJson();
    ASSERT_TRUE(isEvent(replayed, "approval_request")) << canonical(replayed);
    EXPECT_TRUE(isReplay(replayed));
    EXPECT_EQ(canonical(replayed), canonical(request));
    second->sendJson(approveFrame(approvalIdOf(replayed), "accept"));
    const auto frames = second->readUntil(terminalOfTurn(1));
    EXPECT_EQ(shapeOf(frames), (Shape{"event:status", "message", "complete"}));
    EXPECT_EQ(frames[1]->getValue<std::string>("content"), "hello");
}

TEST(Approvals, EveryConnectionSeesTheRequestAndAnyOneMayAnswer) {
    HostProcess host(eventsConfig());
    auto phone = startConversation(host, "ask");
    auto laptop = resumeByUrl(host, "ask", phone.conversationId(), 0);
    const auto request = askedFor(phone, "hello");
    const auto seen = laptop->readUntil(isEventOf("approval_request"));
    EXPECT_EQ(canonical(seen.back()), canonical(request));
    laptop->sendJson(approveFrame(approvalIdOf(request), "accept"));
    const auto onPhone = phone->readUntil(terminalOfTurn(1));
    EXPECT_EQ(shapeOf(onPhone), (Shape{"event:status", "message", "complete"}));
    phone->sendJson(approveFrame(approvalIdOf(request), "decline"));  // the laptop was first
    EXPECT_EQ(codeOf(phone->receiveJson()), "approval_not_found");
}

TEST(Approvals, Protocol1IsNeverAskedThePluginAppliesItsPolicy) {
    HostProcess host(eventsConfig());
    WsClient client(host.port(), "/api/ask/ws");
    client.authenticate(kTestKey);
    const auto reply = client.chat("hello");
    EXPECT_EQ(shapeOf(reply.frames), (Shape{"message", "complete"}));
    EXPECT_EQ(reply.text, "hello");
}

TEST(Approvals, AClientThatFiltersOutApprovalRequestsIsNotAsked) {
    HostProcess host(eventsConfig());
    auto client = connectTo(host, "/api/ask/ws?protocol=2&events=status");
    client->sendMessage("hello");
    EXPECT_EQ(shapeOf(client->readUntil(terminalOfTurn(1))),
              (Shape{"user", "message", "complete"}));
}

}  // namespace
}  // namespace agenthost::test
