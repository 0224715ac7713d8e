// In-process TLS against the real binary, with certificates made by the openssl CLI: versions,
// ALPN, ECDSA and RSA, the whole chain, refusals (TLS 1.1, plain HTTP, a stalled handshake),
// a certificate swap by SIGHUP, and --check-config.
#include "support/Tls.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>

#include "RawHttp.h"
#include "TlsProbe.h"
#include "support/HostProcess.h"
#include "support/TempDir.h"
#include "support/Wait.h"
#include "support/WsClient.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;

// The harness's clients (WsClient, HostProcess::get) speak TLS in this binary.
class TlsEverywhere : public ::testing::Environment {
  public:
    void SetUp() override { ::setenv("AGENTHOST_TEST_TLS", "1", 1); }
};
const auto* const kTlsEverywhere = ::testing::AddGlobalTestEnvironment(new TlsEverywhere);

HostConfig withCertificate(const CertificatePair& pair) {
    HostConfig config;
    config.server["tls_cert"] = pair.cert;
    config.server["tls_key"] = pair.key;
    return config;
}

TEST(Tls, Tls13And12WithAlpnHttp11) {
    TempDir certs;
    HostProcess host(withCertificate(makeCertificate(certs, "ec")));
    auto modern = probeTls(host.port());
    ASSERT_TRUE(modern.connected) << modern.error;
    EXPECT_EQ(modern.version, "TLSv1.3");
    EXPECT_EQ(modern.alpn, "http/1.1");
    EXPECT_EQ(modern.commonName, "localhost");
    auto tls12 = probeTls(host.port(), TLS1_2_VERSION);
    ASSERT_TRUE(tls12.connected) << tls12.error;
    EXPECT_EQ(tls12.version, "TLSv1.2");
    auto h2Only = probeTls(host.port(), 0, {"h2"});
    ASSERT_TRUE(h2Only.connected) << "a client without http/1.1 in ALPN goes on without ALPN";
    EXPECT_EQ(h2Only.alpn, "");
}

TEST(Tls, ProtocolRoundTripOverWss) {
    TempDir certs;
    HostProcess host(withCertificate(makeCertificate(certs, "ec")));
    WsClient client(host.port(), "/api/echo/ws");
    client.authenticate(kTestKey);
    EXPECT_EQ(client.chat("over tls").text, "over tls");
    EXPECT_EQ(host.get("/api/health").status, 200);
    auto status = parseJson(host.get("/api/status").body);
    EXPECT_TRUE(status->getObject("tls")->getValue<bool>("enabled"));
    EXPECT_FALSE(status->getObject("tls")->getValue<std::string>("not_after").empty());
}

TEST(Tls, RsaCertificateAndTheWholeChain) {
    TempDir certs;
    {
        HostProcess rsa(withCertificate(makeCertificate(certs, "rsa", "rsa")));
        auto probe = probeTls(rsa.port());
        ASSERT_TRUE(probe.connected) << probe.error;
        EXPECT_EQ(probe.chainLength, 1);
    }
    HostProcess chained(withCertificate(makeChain(certs, "chain")));
    auto probe = probeTls(chained.port());
    ASSERT_TRUE(probe.connected) << probe.error;
    EXPECT_EQ(probe.chainLength, 2) << "the intermediate must be served with the leaf";
}

TEST(Tls, ATls11ClientIsRefused) {
    TempDir certs;
    HostProcess host(withCertificate(makeCertificate(certs, "ec")));
    auto old = probeTls(host.port(), TLS1_1_VERSION);
    EXPECT_FALSE(old.connected);
    EXPECT_TRUE(host.waitForOutput("unsupported protocol")) << host.output();
    EXPECT_TRUE(probeTls(host.port()).connected);
}

TEST(Tls, PlainHttpToTheTlsPortIsRefusedCleanly) {
    TempDir certs;
    HostProcess host(withCertificate(makeCertificate(certs, "ec")));
    RawHttp plain(host.port());
    plain.send("GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n");
    auto responses = plain.read(1);
    ASSERT_EQ(responses.size(), 1u) << plain.received();
    EXPECT_EQ(responses[0].status, 400);
    EXPECT_EQ(parseJson(responses[0].body)->getValue<std::string>("error"), "tls_required");
    EXPECT_TRUE(plain.closedWithin(3s));
    EXPECT_TRUE(probeTls(host.port()).connected);
}

TEST(Tls, AStalledHandshakeIsClosedAtItsTimeout) {
    TempDir certs;
    HostConfig config = withCertificate(makeCertificate(certs, "ec"));
    config.server["tls_handshake_timeout_s"] = "1";
    HostProcess host(config);
    RawHttp silent(host.port());
    RawHttp partial(host.port());
    partial.send(std::string("\x16\x03\x01\x02\x00\x01", 6));  // a ClientHello that stops
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(silent.closedWithin(4s));
    EXPECT_TRUE(partial.closedWithin(4s));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_GE(elapsed, 700ms);
    EXPECT_LT(elapsed, 2500ms);
    EXPECT_TRUE(probeTls(host.port()).connected);
}

TEST(Tls, SighupSwapsTheCertificateForNewClientsWhileOldOnesKeepStreaming) {
    TempDir certs;
    const auto first = makeCertificate(certs, "first", "ec", "first.example");
    const auto second = makeCertificate(certs, "second", "rsa", "second.example");
    HostConfig config = withCertificate(first);
    config.sections += "delay_ms = 500\n";  // the answer is in flight during the reload
    HostProcess host(config);
    ASSERT_EQ(probeTls(host.port()).commonName, "first.example");
    WsClient old(host.port(), "/api/echo/ws");
    old.authenticate(kTestKey);

    old.sendMessage("streamed across the reload");
    host.writeConfig(withCertificate(second));
    host.signal(SIGHUP);
    ASSERT_TRUE(waitUntil([&] { return probeTls(host.port()).commonName == "second.example"; }))
        << host.output();
    auto reply = old.readReply();
    EXPECT_EQ(reply.terminalType(), "complete");
    EXPECT_EQ(reply.text, "streamed across the reload");
    EXPECT_EQ(old.chat("and after it").text, "and after it");

    // A key that does not match keeps the running certificate; the reload is reported failed.
    HostConfig mismatched = withCertificate({first.cert, second.key});
    host.writeConfig(mismatched);
    host.signal(SIGHUP);
    ASSERT_TRUE(waitUntil([&] {
        return !parseJson(host.get("/api/status").body)->getObject("reload")->getValue<bool>("ok");
    }));
    EXPECT_EQ(probeTls(host.port()).commonName, "second.example");
    EXPECT_EQ(old.chat("still here").text, "still here");
}

TEST(Tls, CheckConfigValidatesThePairAndPrintsTheExpiry) {
    TempDir certs;
    const auto good = makeCertificate(certs, "good");
    const auto other = makeCertificate(certs, "other");
    auto check = [&](const CertificatePair& pair) {
        const std::string ini = certs.write(
            "check.ini",
            "[server]\ntls_cert = " + pair.cert + "\ntls_key = " + pair.key + "\nstate_dir = " +
                certs.file("state") + "\n\n[plugins]\ndirectory = " + pluginBuildDirectory() +
                "\n\n[key.test]\nsecret = " + kTestKey + "\n\n[plugin.echo]\nlibrary = echo\n");
        return runAgenthost("--check-config --config=" + ini);
    };
    auto valid = check(good);
    EXPECT_EQ(valid.status, 0) << valid.output;
    EXPECT_NE(valid.output.find("valid until 20"), std::string::npos) << valid.output;
    auto mismatch = check({good.cert, other.key});
    EXPECT_EQ(mismatch.status, 1) << mismatch.output;
    EXPECT_NE(mismatch.output.find("does not match"), std::string::npos) << mismatch.output;
    auto missing = check({certs.file("absent.pem"), good.key});
    EXPECT_EQ(missing.status, 1) << missing.output;
    EXPECT_NE(missing.output.find("tls_cert"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace agenthost::test
