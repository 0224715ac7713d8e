#include "support/Tls.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "support/TempDir.h"

namespace agenthost::test {
namespace {

void run(const std::string& command) {
    if (std::system((command + " >/dev/null 2>&1").c_str()) != 0)
        throw std::runtime_error("failed: " + command);
}

std::string keyOptions(const std::string& keyType) {
    return keyType == "rsa" ? "-newkey rsa:2048" : "-newkey ec -pkeyopt ec_paramgen_curve:P-256";
}

Poco::Net::Context::Ptr clientContext() {
    static Poco::Net::Context::Ptr context = [] {
        Poco::Net::Context::Params params;
        params.verificationMode = Poco::Net::Context::VERIFY_NONE;
        return Poco::Net::Context::Ptr(
            new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params));
    }();
    return context;
}

}  // namespace

bool testsUseTls() {
    const char* value = std::getenv("AGENTHOST_TEST_TLS");
    return value != nullptr && std::string(value) == "1";
}

CertificatePair makeCertificate(const TempDir& dir, const std::string& name,
                                const std::string& keyType, const std::string& commonName) {
    CertificatePair pair{dir.file(name + "-cert.pem"), dir.file(name + "-key.pem")};
    run("openssl req -x509 " + keyOptions(keyType) + " -nodes -days 30 -keyout " + pair.key +
        " -out " + pair.cert + " -subj /CN=" + commonName +
        " -addext subjectAltName=DNS:localhost,IP:127.0.0.1");
    return pair;
}

CertificatePair makeChain(const TempDir& dir, const std::string& name) {
    const std::string ca = dir.file(name + "-ca"), leaf = dir.file(name + "-leaf");
    run("openssl req -x509 " + keyOptions("ec") + " -nodes -days 30 -keyout " + ca +
        "-key.pem -out " + ca + "-cert.pem -subj /CN=agenthost-test-ca");
    run("openssl req -new " + keyOptions("ec") + " -nodes -keyout " + leaf + "-key.pem -out " +
        leaf + ".csr -subj /CN=localhost");
    run("openssl x509 -req -in " + leaf + ".csr -CA " + ca + "-cert.pem -CAkey " + ca +
        "-key.pem -CAcreateserial -days 30 -out " + leaf + "-cert.pem");
    std::ofstream chain(dir.file(name + "-chain.pem"), std::ios::binary);
    for (const std::string& part : {leaf + "-cert.pem", ca + "-cert.pem"})
        chain << std::ifstream(part, std::ios::binary).rdbuf();
    return {dir.file(name + "-chain.pem"), leaf + "-key.pem"};
}

std::unique_ptr<Poco::Net::HTTPClientSession> clientSession(std::uint16_t port,
                                                            const std::string& sourceAddress) {
    if (!sourceAddress.empty()) {
        // Poco 1.11's HTTPSClientSession cannot take a connected socket (it sets the port).
        if (testsUseTls()) throw std::logic_error("a source address needs plain HTTP");
        Poco::Net::StreamSocket socket(Poco::Net::SocketAddress::IPv4);
        socket.impl()->bind(Poco::Net::SocketAddress(sourceAddress, 0));
        socket.connect(Poco::Net::SocketAddress("127.0.0.1", port));
        return std::make_unique<Poco::Net::HTTPClientSession>(socket);
    }
    if (testsUseTls())
        return std::make_unique<Poco::Net::HTTPSClientSession>("127.0.0.1", port, clientContext());
    return std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port);
}

}  // namespace agenthost::test
