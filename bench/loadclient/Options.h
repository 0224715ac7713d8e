// Command line of the load client: which server, which mode, how much load, how long at most.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>

namespace agenthost::bench {

enum class Mode { Idle, Echo };

struct Options {
    Mode mode = Mode::Idle;
    std::string host = "127.0.0.1";
    int port = 0;
    std::string route = "echo";
    std::string key;
    std::size_t connections = 0;     // idle N / echo C
    std::size_t messages = 0;        // echo: round trips per connection, one after another
    std::size_t payloadChars = 64;   // echo: characters of each message
    std::size_t window = 256;        // connections in handshake or authentication at one time
    std::chrono::seconds hold{5};    // idle: how long the connections stay open once all are ready
    std::chrono::seconds settle{2};  // idle: wait before sampling the server, after all are ready
    std::chrono::seconds timeout{120};  // upper bound for the whole run
    pid_t serverPid = 0;                // sampled from /proc when set
};

// Parses `idle N` / `echo C M` and --name=value flags. Throws std::invalid_argument with a
// usage message on anything it does not understand.
Options parseOptions(int argc, char** argv);

}  // namespace agenthost::bench
