// Command line of the load client: which server, which mode, how much load, how long at most.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace agenthost::bench {

enum class Mode { Idle, Echo, Resume, Api, Slowloris, Handshakes };
enum class ResumeBy { Url, Frame };

struct Options {
    Mode mode = Mode::Idle;
    std::string host = "127.0.0.1";
    int port = 0;
    std::string route = "echo";
    std::string key;
    bool tls = false;               // --tls: wss:// (the handshake driven by the epoll loop)
    std::size_t connections = 0;    // idle N / echo C / slowloris: probes / handshakes N
    std::size_t stalled = 0;        // slowloris: request heads left unfinished, held open
    std::size_t messages = 0;       // echo: round trips per connection, one after another
    std::size_t payloadChars = 64;  // echo: characters of each message
    std::size_t repeat = 1;         // echo: the server answers with the text this many times
    int protocol = 1;               // 2: ?protocol=2 in the upgrade URL, user frames expected
    std::string idsFile;            // echo: where to write the connections' conversation ids
    // echo: after the last reply, wait (at most this long) until the server's CPU time stops
    // growing before sampling it, so work the run left queued (a store's commits) counts.
    std::chrono::seconds settleCpu{0};
    std::string conversation;   // resume: the conversation to replay
    std::size_t resumes = 0;    // resume: how many, one after another
    std::int64_t afterSeq = 0;  // resume: replay the frames after this seq
    ResumeBy resumeBy = ResumeBy::Url;
    std::size_t passes = 0;          // api: walks over the listing (and a get of every entry)
    std::size_t limit = 50;          // api: conversations per listing page
    std::size_t window = 256;        // connections in handshake or authentication at one time
    std::chrono::seconds hold{5};    // idle: how long the connections stay open once all are ready;
                                     // slowloris: how long the stalled heads stay after the probes
    std::chrono::seconds settle{2};  // idle: wait before sampling the server, after all are ready
    std::chrono::seconds timeout{120};  // upper bound for the whole run
    pid_t serverPid = 0;                // sampled from /proc when set
};

// Parses `idle N` / `echo C M` / `resume ID R` / `api P` / `slowloris S N` / `handshakes N`
// and --name=value flags (and --tls). Throws
// std::invalid_argument with a usage message on anything it does not understand.
Options parseOptions(int argc, char** argv);

}  // namespace agenthost::bench
