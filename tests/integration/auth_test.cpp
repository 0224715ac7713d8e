// Authentication: the key as the first frame, Authorization: Bearer, key sources, the ready
// frame, and keys never reaching the log.
#include <Poco/Net/NetException.h>

#include <cstdlib>
#include <set>
#include <vector>

#include "Helpers.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kOtherKey = "other-key-9876543210";
constexpr const char* kWrongKey = "wrong-key-5555555555";

// [key.other] may open only /api/other/ws; both routes are served by echo.
HostConfig twoRouteConfig() {
    HostConfig config;
    config.sections = echoSections("", "[plugin.other]\nlibrary = echo\n\n[key.other]\nsecret = " +
                                           std::string(kOtherKey) + "\nplugins = other\n");
    return config;
}

void expectReadyFrame(const Poco::JSON::Object::Ptr& ready, const std::string& route) {
    EXPECT_EQ(ready->getValue<std::string>("type"), "ready");
    EXPECT_EQ(ready->getValue<std::string>("content"), route + " ready");
    expectTimestamp(ready);
    EXPECT_FALSE(ready->getValue<std::string>("session_id").empty());
    EXPECT_EQ(ready->getValue<std::string>("plugin"), route);
    EXPECT_EQ(ready->getValue<std::string>("version"), "1.0.0");  // echo's declared version
    ASSERT_TRUE(ready->get("protocol").isInteger());
    EXPECT_EQ(ready->getValue<int>("protocol"), 1);
}

TEST(Auth, KeyFrameGetsAuthenticatedThenReadyFrame) {
    HostProcess host;
    WsClient client(host.port(), "/api/echo/ws");
    client.sendText(kTestKey);
    EXPECT_EQ(client.receiveText(), "authenticated");
    expectReadyFrame(client.receiveJson(), "echo");
    expectEcho(client, "after auth");
}

TEST(Auth, EverySessionHasItsOwnId) {
    HostProcess host;
    std::set<std::string> ids;
    for (int i = 0; i < 3; ++i) {
        WsClient client(host.port(), "/api/echo/ws");
        ids.insert(client.authenticate(kTestKey)->getValue<std::string>("session_id"));
    }
    EXPECT_EQ(ids.size(), 3u);
}

TEST(Auth, WrongKeyIsRefusedWith1008AndNotLogged) {
    HostProcess host;
    WsClient client(host.port(), "/api/echo/ws");
    client.sendText(kWrongKey);
    EXPECT_EQ(client.receiveText(), "error:invalid_api_key");
    EXPECT_EQ(client.waitForClose(), 1008);
    EXPECT_EQ(host.output().find(kWrongKey), std::string::npos) << host.output();
}

TEST(Auth, MessageBeforeAuthenticationIsTreatedAsAWrongKey) {
    HostProcess host;
    WsClient client(host.port(), "/api/echo/ws");
    client.sendMessage("hello");
    EXPECT_EQ(client.receiveText(), "error:invalid_api_key");
    EXPECT_EQ(client.waitForClose(), 1008);
}

TEST(Auth, ValidKeyOnAForbiddenRouteIsRefusedWith1008) {
    HostProcess host(twoRouteConfig());
    {
        WsClient allowed(host.port(), "/api/other/ws");
        expectReadyFrame(allowed.authenticate(kOtherKey), "other");
    }
    WsClient client(host.port(), "/api/echo/ws");
    client.sendText(kOtherKey);
    EXPECT_EQ(client.receiveText(), "error:forbidden");
    EXPECT_EQ(client.waitForClose(), 1008);
}

TEST(Auth, NoKeyWithinAuthTimeoutClosesWith1008) {
    HostConfig config;
    config.server["auth_timeout_s"] = "1";
    HostProcess host(config);
    WsClient client(host.port(), "/api/echo/ws");
    const auto start = std::chrono::steady_clock::now();
    std::optional<Frame> frame = client.receive(5s);
    ASSERT_TRUE(frame.has_value()) << "no frame within 5 s";
    if (frame->isText()) {  // the optional explanation before the close
        EXPECT_EQ(frame->payload, "error:auth_timeout");
        frame = client.receive(3s);
        ASSERT_TRUE(frame.has_value());
    }
    ASSERT_TRUE(frame->isClose());
    EXPECT_EQ(frame->closeCode(), 1008);
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_GE(waited, 800ms) << "closed before auth_timeout_s";
    EXPECT_LE(waited, 3500ms) << "auth_timeout_s = 1 was not enforced promptly";
}

TEST(Auth, KeysFromLiteralEnvFileAndSha256AllWork) {
    TempDir secrets;
    const std::string keyFile = secrets.write("client.key", "file-key-abcdefghij\n");
    ::setenv("AGENTHOST_IT_ENV_KEY", "env-key-abcdefghij", 1);
    HostConfig config;
    // sha256 of "test-key-sha256-abc", computed with sha256sum.
    const std::string sha = "96d0441e64b4c91d13e7c72c0856ff939f1fe78b58c0150a7a5167c9329bc0cc";
    config.sections =
        "[key.literal]\nsecret = literal-key-abcdefghij\n\n"
        "[key.env]\nsecret = env:AGENTHOST_IT_ENV_KEY\n\n"
        "[key.file]\nsecret = file:" +
        keyFile +
        "\n\n"
        "[key.hashed]\nsecret = sha256:" +
        sha +
        "\n\n"
        "[plugin.echo]\nlibrary = echo\n";
    HostProcess host(config);
    ::unsetenv("AGENTHOST_IT_ENV_KEY");
    for (const char* key : {"literal-key-abcdefghij", "env-key-abcdefghij", "file-key-abcdefghij",
                            "test-key-sha256-abc"}) {
        SCOPED_TRACE(key);
        WsClient client(host.port(), "/api/echo/ws");
        expectReadyFrame(client.authenticate(key), "echo");
        expectEcho(client, "hi");
    }
    // The configured forms themselves are not keys.
    for (const std::string& notAKey : std::vector<std::string>{
             "env:AGENTHOST_IT_ENV_KEY", "file:" + keyFile, "sha256:" + sha, sha}) {
        SCOPED_TRACE(notAKey);
        WsClient client(host.port(), "/api/echo/ws");
        client.sendText(notAKey);
        EXPECT_EQ(client.receiveText(), "error:invalid_api_key");
        EXPECT_EQ(client.waitForClose(), 1008);
    }
    for (const char* secret : {"literal-key-abcdefghij", "env-key-abcdefghij",
                               "file-key-abcdefghij", "test-key-sha256-abc"})
        EXPECT_EQ(host.output().find(secret), std::string::npos) << "a key reached the log";
}

TEST(Auth, BearerHeaderAuthenticatesWithoutAKeyFrame) {
    HostProcess host;
    WsClient client(host.port(), "/api/echo/ws",
                    {{"Authorization", "Bearer " + std::string(kTestKey)}});
    EXPECT_EQ(client.receiveText(1s), "authenticated");
    expectReadyFrame(client.receiveJson(1s), "echo");
    expectEcho(client, "bearer chat");
    EXPECT_EQ(host.output().find(kTestKey), std::string::npos) << "the key reached the log";
}

TEST(Auth, WrongBearerKeyIsRefusedWith401) {
    HostProcess host;
    std::string body;
    EXPECT_EQ(handshakeStatus(host.port(), "/api/echo/ws",
                              {{"Authorization", "Bearer " + std::string(kWrongKey)}}, true, &body),
              401);
    EXPECT_EQ(parseJson(body)->getValue<std::string>("error"), "invalid_api_key");
    EXPECT_THROW(WsClient(host.port(), "/api/echo/ws",
                          {{"Authorization", "Bearer " + std::string(kWrongKey)}}),
                 Poco::Net::WebSocketException);
    EXPECT_EQ(host.output().find(kWrongKey), std::string::npos) << host.output();
}

TEST(Auth, BearerKeyOnAForbiddenRouteIsRefusedWith403) {
    HostProcess host(twoRouteConfig());
    EXPECT_EQ(handshakeStatus(host.port(), "/api/echo/ws",
                              {{"Authorization", "Bearer " + std::string(kOtherKey)}}),
              403);
    EXPECT_EQ(handshakeStatus(host.port(), "/api/other/ws",
                              {{"Authorization", "Bearer " + std::string(kOtherKey)}}),
              101);
}

}  // namespace
}  // namespace agenthost::test
