// SIGTERM: running responses end with an error frame, every client gets Close 1001, the
// process exits 0 promptly, and no key ever reaches the log.
#include <signal.h>

#include <vector>

#include "Helpers.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;

// Reads until the Close frame; returns the text frames that came before it.
std::vector<std::string> textsUntilClose(WsClient& client, int& closeCode) {
    std::vector<std::string> texts;
    closeCode = -1;
    for (;;) {
        auto frame = client.receive(5s);
        if (!frame) return texts;
        if (frame->isClose()) {
            closeCode = frame->payload.empty() ? -1 : frame->closeCode();
            return texts;
        }
        if (frame->isText()) texts.push_back(frame->payload);
    }
}

HostConfig slowConfig() {
    return echoConfig("", "[plugin.slow]\nlibrary = echo\ndelay_ms = 100\nrepeat = 100\n");
}

TEST(Shutdown, SigtermEndsResponsesClosesWith1001AndExitsZero) {
    HostConfig config = slowConfig();
    // Clients that finish the close handshake let the server go long before this.
    config.server["shutdown_timeout_s"] = "10";
    HostProcess host(config);
    auto idle = connectAuthenticated(host, "echo");
    auto busy = connectAuthenticated(host, "slow");
    busy->sendMessage("working");
    ASSERT_EQ(typeOf(busy->receiveJson()), "message");  // the response is running

    const auto start = std::chrono::steady_clock::now();
    host.signal(SIGTERM);
    int busyClose = 0;
    const auto texts = textsUntilClose(*busy, busyClose);
    EXPECT_EQ(busyClose, 1001);
    ASSERT_FALSE(texts.empty()) << "no error frame for the running response";
    auto last = parseJson(texts.back());
    EXPECT_EQ(typeOf(last), "error");
    EXPECT_FALSE(last->getValue<std::string>("code").empty());
    expectTimestamp(last);
    busy->close(1001);

    int idleClose = 0;
    EXPECT_TRUE(textsUntilClose(*idle, idleClose).empty());
    EXPECT_EQ(idleClose, 1001);
    idle->close(1001);

    EXPECT_EQ(host.stop(SIGTERM, 10s), 0) << host.output();
    EXPECT_LE(std::chrono::steady_clock::now() - start, 5s) << "shutdown was slow";
    EXPECT_EQ(host.output().find(kTestKey), std::string::npos) << "the key reached the log";
}

TEST(Shutdown, ExitsPromptlyWhenAClientNeverAnswersTheClose) {
    HostProcess host(slowConfig());
    auto deaf = connectAuthenticated(host, "slow");
    deaf->sendMessage("never read");
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(host.stop(SIGTERM, 15s), 0) << host.output();
    EXPECT_LE(std::chrono::steady_clock::now() - start, 7s)
        << "a client that ignores the Close kept the server past shutdown_timeout_s";
}

}  // namespace
}  // namespace agenthost::test
