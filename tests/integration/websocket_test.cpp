// RFC 6455 behaviour of the server: fragments, control frames, the close handshake, keepalive
// pings, and the close codes for invalid frames.
#include <Poco/Net/NetException.h>

#include <atomic>
#include <thread>

#include "Helpers.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;
using Poco::Net::WebSocket;

constexpr int kFin = WebSocket::FRAME_FLAG_FIN;
constexpr int kTextFragment = WebSocket::FRAME_OP_TEXT;  // no FIN: more fragments follow
constexpr int kMiddleFragment = WebSocket::FRAME_OP_CONT;
constexpr int kLastFragment = kFin | WebSocket::FRAME_OP_CONT;
constexpr int kPong = kFin | WebSocket::FRAME_OP_PONG;

TEST(WebSocket, FragmentedTextMessageIsReassembled) {
    HostProcess host;
    auto client = connectAuthenticated(host);
    client->sendFrame(R"({"content":"frag)", kTextFragment);
    client->sendFrame(R"(mented"})", kLastFragment);
    auto reply = client->readReply();
    EXPECT_EQ(reply.text, "fragmented");
    EXPECT_EQ(reply.terminalType(), "complete");
}

TEST(WebSocket, FragmentsMaySplitAUtf8SequenceAndCarryAPingBetween) {
    HostProcess host;
    auto client = connectAuthenticated(host);
    const std::string message = R"({"content":"caf)"
                                "\xC3\xA9"
                                R"("})";                 // "café"
    const std::size_t split = message.find('\xC3') + 1;  // between the two bytes of é
    client->sendFrame(message.substr(0, split), kTextFragment);
    client->sendPing("between");
    client->sendFrame(message.substr(split), kLastFragment);
    auto pong = client->receive(5s, true);
    ASSERT_TRUE(pong.has_value());
    EXPECT_EQ(pong->opcode, WebSocket::FRAME_OP_PONG);
    EXPECT_EQ(pong->payload, "between");
    auto reply = client->readReply();
    EXPECT_EQ(reply.text, "caf\xC3\xA9");
}

TEST(WebSocket, ThreeFragmentsAreJoinedInOrder) {
    HostProcess host;
    auto client = connectAuthenticated(host);
    client->sendFrame(R"({"content":"a)", kTextFragment);
    client->sendFrame("b", kMiddleFragment);
    client->sendFrame(R"(c"})", kLastFragment);
    EXPECT_EQ(client->readReply().text, "abc");
}

TEST(WebSocket, ClientPingGetsAPongWithTheSamePayload) {
    HostProcess host;
    auto client = connectAuthenticated(host);
    client->sendPing("ping-payload-123");
    auto frame = client->receive(5s, true);
    ASSERT_TRUE(frame.has_value());
    EXPECT_EQ(frame->opcode, WebSocket::FRAME_OP_PONG);
    EXPECT_EQ(frame->payload, "ping-payload-123");
    expectEcho(*client, "after ping");
}

TEST(WebSocket, ClientCloseIsAnsweredWithTheSameCode) {
    HostProcess host;
    for (int code : {1000, 4001}) {
        SCOPED_TRACE(code);
        auto client = connectAuthenticated(host);
        client->close(code);
        EXPECT_EQ(client->waitForClose(), code);
    }
    EXPECT_TRUE(waitUntil([&] { return healthConnections(host, "echo") == 0; }));
}

TEST(WebSocket, InvalidUtf8InATextFrameClosesWith1007) {
    HostProcess host;
    auto client = connectAuthenticated(host);
    client->sendText(std::string("{\"content\":\"\xC3\x28\"}"));
    EXPECT_EQ(client->waitForClose(), 1007);
}

TEST(WebSocket, UnmaskedClientFrameClosesWith1002) {
    HostProcess host;
    auto client = connectAuthenticated(host);
    client->sendRaw(std::string("\x81\x05hello", 7));  // FIN + text, length 5, no mask bit
    EXPECT_EQ(client->waitForClose(), 1002);
}

TEST(WebSocket, FragmentsTogetherLargerThanMaxMessageBytesCloseWith1009) {
    HostConfig config;
    config.server["max_message_bytes"] = "1024";
    HostProcess host(config);
    auto client = connectAuthenticated(host);
    const std::string half(600, 'x');  // each fragment fits, the message does not
    client->sendFrame(R"({"content":")" + half, kTextFragment);
    client->sendFrame(half + R"("})", kLastFragment);
    EXPECT_EQ(client->waitForClose(), 1009);
}

// The header of a masked text frame that claims `length` payload bytes (mask key 0).
std::string maskedTextHeader(std::uint64_t length) {
    std::string header("\x81\xFF", 2);  // FIN + text; masked, 64-bit length follows
    for (int shift = 56; shift >= 0; shift -= 8)
        header.push_back(static_cast<char>((length >> shift) & 0xFF));
    return header + std::string(4, '\0');
}

TEST(WebSocket, BytesAfterAnOversizedFrameAreNotBuffered) {
    HostConfig config;
    config.server["max_message_bytes"] = "1024";
    HostProcess host(config);
    auto client = connectAuthenticated(host);
    client->socket().setSendTimeout(Poco::Timespan(1, 0));
    const long before = host.rssKb();
    client->sendRaw(maskedTextHeader(1 << 30));  // refused from its header: 1009
    const std::string junk(1 << 20, 'x');
    long peak = before;
    int sentMb = 0;
    try {
        for (; sentMb < 64; ++sentMb) {  // the rest of the "frame", as a flood
            client->sendRaw(junk);
            peak = std::max(peak, host.rssKb());
        }
    } catch (const Poco::Exception&) {  // the server hung up: fine
    }
    EXPECT_LT(peak - before, 16 * 1024)
        << "host memory grew by " << (peak - before) / 1024 << " MB while the client sent "
        << sentMb << " MB after a frame it refused";
    EXPECT_TRUE(waitUntil([&] { return healthConnections(host, "echo") == 0; }));
}

TEST(WebSocket, DataFramesAfterTheServersCloseAreIgnored) {
    HostProcess host;
    WsClient client(host.port(), "/api/echo/ws");
    client.sendText("wrong-key-1111111111");
    EXPECT_EQ(client.receiveText(), "error:invalid_api_key");
    client.sendText(kTestKey);  // too late: the server has closed this session
    EXPECT_EQ(client.waitForClose(), 1008);
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(host.output().find("opened on /api/echo/ws"), std::string::npos)
        << "a key sent after the Close opened a session:\n"
        << host.output();
}

TEST(WebSocket, InvalidUtf8BeforeAuthenticationClosesWith1007) {
    HostProcess host;
    WsClient client(host.port(), "/api/echo/ws");
    client.sendText("key\xC0\xAF");  // an overlong encoding of '/'
    EXPECT_EQ(client.waitForClose(), 1007);
}

// Reads frames without ever answering a ping, until the server drops the connection. Returns
// how many pings arrived.
int readWithoutAnsweringUntilDropped(WsClient& client, std::chrono::milliseconds timeout) {
    int pings = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        std::optional<Frame> frame;
        try {
            frame = client.receive(500ms, true);
        } catch (const Poco::Exception&) {
            return pings;  // reset
        }
        if (!frame) continue;
        if (frame->opcode == WebSocket::FRAME_OP_PING) ++pings;
        if (frame->isClose()) return pings;
    }
    ADD_FAILURE() << "the server kept a client that never answers pings";
    return pings;
}

TEST(WebSocket, ServerPingsAndDropsAClientThatNeverAnswers) {
    HostConfig config;
    config.server["ping_interval_s"] = "1";
    HostProcess host(config);
    auto silent = connectAuthenticated(host);
    auto answering = connectAuthenticated(host);

    // The answering client only reads (WsClient answers pings); it sends no data of its own.
    std::atomic<bool> stop{false};
    std::atomic<int> answeredPings{0};
    std::thread reader([&] {
        while (!stop) {
            auto frame = answering->receive(100ms, true);
            if (frame && frame->opcode == WebSocket::FRAME_OP_PING) {
                ++answeredPings;
                answering->sendFrame(frame->payload, kPong);
            }
        }
    });

    const auto start = std::chrono::steady_clock::now();
    const int pings = readWithoutAnsweringUntilDropped(*silent, 8s);
    const auto lived = std::chrono::steady_clock::now() - start;
    EXPECT_GE(pings, 1) << "no server ping within the connection's life";
    EXPECT_GE(lived, 1500ms) << "dropped before two ping intervals";
    EXPECT_LE(lived, 5s) << "not dropped within about two ping intervals";

    std::this_thread::sleep_for(1500ms);  // the answering client outlives 2 intervals too
    stop = true;
    reader.join();
    EXPECT_GE(answeredPings.load(), 2);
    expectEcho(*answering, "still connected");
    EXPECT_TRUE(waitUntil([&] { return healthConnections(host, "echo") == 1; }));
}

}  // namespace
}  // namespace agenthost::test
