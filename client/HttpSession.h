// An HTTP client session to the target's server, over TLS for wss:// (the system's CAs, or
// --ca-file), shared by the WebSocket and the HTTP API calls.
#pragma once

#include <Poco/Net/HTTPClientSession.h>

#include <memory>

#include "Target.h"

namespace agenthost::client {

std::unique_ptr<Poco::Net::HTTPClientSession> openSession(const Target& target);

}  // namespace agenthost::client
