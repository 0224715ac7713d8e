// A raw OpenSSL client for the TLS tests: handshakes with chosen protocol versions and ALPN,
// and reports what the server presented.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace agenthost::test {

struct TlsProbe {
    bool connected = false;  // the handshake succeeded
    std::string error;       // why not
    std::string version;     // "TLSv1.3", ...
    std::string alpn;        // the protocol the server selected, or ""
    std::string commonName;  // of the server's certificate
    int chainLength = 0;     // certificates the server sent
    std::string response;    // the answer to `request`, when one was given
};

// maxVersion: 0 for the library's maximum, or e.g. TLS1_1_VERSION (then also the minimum,
// with the security level lowered so that the client is willing to speak it).
TlsProbe probeTls(std::uint16_t port, int onlyVersion = 0,
                  const std::vector<std::string>& alpn = {"http/1.1"},
                  const std::string& request = "");

}  // namespace agenthost::test
