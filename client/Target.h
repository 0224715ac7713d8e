// Where `agenthost chat` connects and with which key: the command line first, then the
// environment, then the server's own configuration file (the local server by default).
#pragma once

#include <cstdint>
#include <string>

#include "Options.h"

namespace agenthost::client {

struct Target {
    bool tls = false;
    std::string host;
    std::uint16_t port = 0;
    std::string route;
    std::string key;  // never printed
    std::string caFile;
    std::string conversation;  // to resume at start; empty: a new conversation

    // ws://host:port/api/route/ws, for messages (never with the key).
    std::string describe() const;
};

struct ResolvedTarget {
    Target target;
    std::string error;  // non-empty: say it and exit with `exitCode`
    int exitCode = 0;
};

// `environmentKey`: the value of AGENTHOST_KEY, or null when it is not set.
ResolvedTarget resolveTarget(const Options& options, const char* environmentKey);

}  // namespace agenthost::client
