// What a client asks for in its upgrade URL: the protocol version, a conversation to resume
// and where, which event kinds it wants. Read once, when the connection is accepted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "protocol/EventKinds.h"

namespace agenthost::session {

struct UpgradeOptions {
    int protocol = 1;
    std::optional<std::string> conversationId;
    std::optional<std::int64_t> afterSeq;
    // The event kinds a protocol 2 connection gets (`events=`); every kind without it, and when
    // a value is malformed (the URL is then refused as a whole).
    protocol::EventFilter events = protocol::EventFilter::all();
    std::string invalid;  // why a value is malformed ("" when all are fine)
};

// `query` is the raw query string of the upgrade URL, without '?'.
UpgradeOptions parseUpgradeOptions(const std::string& query);

}  // namespace agenthost::session
