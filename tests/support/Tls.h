// TLS for the test harness: certificates made at test time with the openssl CLI, and client
// sessions that speak TLS when the suite runs over wss:// (AGENTHOST_TEST_TLS=1, set by ctest
// for the second run of the protocol suite).
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/StreamSocket.h>

#include <cstdint>
#include <memory>
#include <string>

namespace agenthost::test {

class TempDir;

// True when the harness serves and connects over TLS.
bool testsUseTls();

struct CertificatePair {
    std::string cert;  // PEM, the whole chain
    std::string key;   // PEM
};

// A self-signed certificate for localhost/127.0.0.1 in `dir`, named `<name>-cert.pem` and
// `<name>-key.pem`. keyType: "ec" (P-256) or "rsa" (2048). Throws when openssl fails.
CertificatePair makeCertificate(const TempDir& dir, const std::string& name,
                                const std::string& keyType = "ec",
                                const std::string& commonName = "localhost");

// A leaf certificate signed by a test CA; cert holds leaf then CA.
CertificatePair makeChain(const TempDir& dir, const std::string& name);

// An HTTP client session to 127.0.0.1:port, over TLS (certificate not verified) when
// testsUseTls(). With `sourceAddress` (another loopback address, e.g. 127.0.0.2) the
// connection comes from there, as a second client machine would (plain HTTP only).
std::unique_ptr<Poco::Net::HTTPClientSession> clientSession(std::uint16_t port,
                                                            const std::string& sourceAddress = "");

}  // namespace agenthost::test
