#include "Options.h"

#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace agenthost::bench {
namespace {

constexpr const char* kUsage =
    "usage: agenthost_loadclient --port=P [--key=K] [--host=127.0.0.1] [--route=echo]\n"
    "         [--window=256] [--timeout=120] [--server-pid=PID] [--tls] MODE\n"
    "  MODE: idle N [--hold=5] [--settle=2]   open N authenticated connections, hold them\n"
    "        echo C M [--payload=64]          C connections, M sequential round trips each\n"
    "             [--repeat=1] [--protocol=1|2] [--ids=FILE] [--settle-cpu=0]\n"
    "        resume ID R [--after-seq=0]      R resumes of conversation ID, one after another,\n"
    "             [--resume-by=url|frame]     each on a new connection, timed to the last replay\n"
    "        api P [--limit=50]               P walks over GET /api/conversations (cursor\n"
    "                                         paging) with a GET /api/conversations/<id> of each\n"
    "        slowloris S N [--hold=5]         hold S sockets that sent half a request head, time\n"
    "                                         N new clients (connect, key, ready, one echo) one\n"
    "                                         after another, then keep the S for --hold seconds\n"
    "        handshakes N                     N TLS handshakes (--tls), --window at once\n"
    "  The key defaults to $AGENTHOST_BENCH_KEY (keeps it out of the process list).";

std::size_t count(const std::string& text) {
    std::size_t used = 0;
    const long long value = std::stoll(text, &used);
    if (used != text.size() || value < 0) throw std::invalid_argument("not a count: " + text);
    return static_cast<std::size_t>(value);
}

// Applies one --name=value flag.
void applyFlag(Options& options, std::string_view flag) {
    const auto eq = flag.find('=');
    if (flag.substr(0, 2) != "--" || eq == std::string_view::npos)
        throw std::invalid_argument("bad argument: " + std::string(flag));
    const std::string name(flag.substr(2, eq - 2));
    const std::string value(flag.substr(eq + 1));
    if (name == "host")
        options.host = value;
    else if (name == "port")
        options.port = static_cast<int>(count(value));
    else if (name == "route")
        options.route = value;
    else if (name == "key")
        options.key = value;
    else if (name == "window")
        options.window = count(value);
    else if (name == "payload")
        options.payloadChars = count(value);
    else if (name == "hold")
        options.hold = std::chrono::seconds(count(value));
    else if (name == "settle")
        options.settle = std::chrono::seconds(count(value));
    else if (name == "timeout")
        options.timeout = std::chrono::seconds(count(value));
    else if (name == "repeat")
        options.repeat = count(value);
    else if (name == "protocol")
        options.protocol = static_cast<int>(count(value));
    else if (name == "ids")
        options.idsFile = value;
    else if (name == "settle-cpu")
        options.settleCpu = std::chrono::seconds(count(value));
    else if (name == "after-seq")
        options.afterSeq = static_cast<std::int64_t>(count(value));
    else if (name == "resume-by" && (value == "url" || value == "frame"))
        options.resumeBy = value == "url" ? ResumeBy::Url : ResumeBy::Frame;
    else if (name == "limit")
        options.limit = count(value);
    else if (name == "server-pid")
        options.serverPid = static_cast<pid_t>(count(value));
    else
        throw std::invalid_argument("unknown option --" + name);
}

}  // namespace

Options parseOptions(int argc, char** argv) {
    Options options;
    if (const char* key = std::getenv("AGENTHOST_BENCH_KEY")) options.key = key;
    std::vector<std::string> words;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string_view arg = argv[i];
            if (arg == "--tls")
                options.tls = true;
            else if (arg.rfind("--", 0) == 0)
                applyFlag(options, arg);
            else
                words.emplace_back(arg);
        }
        if (words.size() == 2 && words[0] == "idle") {
            options.mode = Mode::Idle;
            options.connections = count(words[1]);
        } else if (words.size() == 3 && words[0] == "echo") {
            options.mode = Mode::Echo;
            options.connections = count(words[1]);
            options.messages = count(words[2]);
        } else if (words.size() == 3 && words[0] == "resume") {
            options.mode = Mode::Resume;
            options.conversation = words[1];
            options.resumes = count(words[2]);
            options.connections = 1;
        } else if (words.size() == 2 && words[0] == "api") {
            options.mode = Mode::Api;
            options.passes = count(words[1]);
            options.connections = 1;
        } else if (words.size() == 3 && words[0] == "slowloris") {
            options.mode = Mode::Slowloris;
            options.stalled = count(words[1]);
            options.connections = count(words[2]);
        } else if (words.size() == 2 && words[0] == "handshakes") {
            options.mode = Mode::Handshakes;
            options.connections = count(words[1]);
        } else {
            throw std::invalid_argument(
                "expected `idle N`, `echo C M`, `resume ID R`, `api P`, `slowloris S N` or "
                "`handshakes N`");
        }
        if (options.mode == Mode::Handshakes && !options.tls)
            throw std::invalid_argument("handshakes needs --tls");
        if (options.protocol != 1 && options.protocol != 2)
            throw std::invalid_argument("--protocol is 1 or 2");
        if (options.repeat == 0 || options.limit == 0)
            throw std::invalid_argument("--repeat and --limit must not be 0");
        if (options.port <= 0 || options.key.empty() || options.connections == 0 ||
            options.window == 0)
            throw std::invalid_argument("--port, --key and a non-zero count are required");
    } catch (const std::exception& e) {
        throw std::invalid_argument(std::string(e.what()) + "\n" + kUsage);
    }
    return options;
}

}  // namespace agenthost::bench
