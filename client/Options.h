// The command line of `agenthost chat` and its help text.
#pragma once

#include <string>
#include <vector>

namespace agenthost::client {

struct Options {
    std::string url;           // positional; empty: the server of the config file
    std::string keyFile;       // --key-file; empty: AGENTHOST_KEY, then the generated key
    std::string route;         // --route; empty: from the URL, else the config's first route
    std::string conversation;  // --conversation: resume this one from its start
    std::string configPath = "config/agenthost.ini";  // --config: where the defaults come from
    std::string caFile;  // --ca-file: trust this PEM for wss:// (a self-signed server)
    bool help = false;
};

struct ParsedOptions {
    Options options;
    std::string error;  // non-empty: a usage error, say it and exit kExitUsage
};

// `args` are the words after `chat`.
ParsedOptions parseOptions(const std::vector<std::string>& args);

// The man-page-like text of `agenthost chat --help`.
const char* helpText();

}  // namespace agenthost::client
