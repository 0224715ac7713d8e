#include "HttpSession.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>

#include <mutex>

namespace agenthost::client {
namespace {

constexpr long kConnectTimeoutS = 5;

Poco::Net::Context::Ptr tlsContext(const std::string& caFile) {
    Poco::Net::Context::Params params;
    params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
    params.loadDefaultCAs = true;
    params.caLocation = caFile;
    Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    // A certificate that does not verify is refused, never asked about (Poco's default handler
    // would look for an application configuration this command does not have).
    static std::once_flag once;
    std::call_once(once, [&context] {
        Poco::Net::initializeSSL();
        Poco::Net::SSLManager::instance().initializeClient(
            nullptr, new Poco::Net::RejectCertificateHandler(false), context);
    });
    return context;
}

}  // namespace

std::unique_ptr<Poco::Net::HTTPClientSession> openSession(const Target& target) {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (target.tls)
        session = std::make_unique<Poco::Net::HTTPSClientSession>(target.host, target.port,
                                                                  tlsContext(target.caFile));
    else
        session = std::make_unique<Poco::Net::HTTPClientSession>(target.host, target.port);
    session->setTimeout(Poco::Timespan(kConnectTimeoutS, 0));
    return session;
}

}  // namespace agenthost::client
