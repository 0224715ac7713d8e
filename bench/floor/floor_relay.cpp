// The floor of the time-to-first-chunk benchmark: the least a relay can do between a client's
// WebSocket and a Messages API and still answer claude_stream_bench correctly. A thread per
// client reads its frames; each message becomes a POST on a kept-alive connection to the API
// (one per stream at a time, as curl keeps them), and each text delta of the answer's event
// stream a message frame, sent as it arrives. No conversation, no store, no log, no JSON beyond
// finding one string. What it adds to the time to first chunk, measured beside agenthost in the
// same run (bench/claude/ttfc_ab.sh, BENCH_TTFC_FLOOR=1), is what the machine's kernel and its
// wake-ups cost any relay: two more hops on loopback and two more threads to wake.
//
// Usage: agenthost_floor_relay PORT API_PORT (PORT 0: any free port, printed on standard output)
#include <netinet/tcp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "Floor.h"

namespace {

using namespace agenthost::bench::floor;

bool sendAll(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// Appends what one recv brings; false at the end of the stream or on an error.
bool receiveSome(int fd, std::string& in) {
    char buffer[16384];
    for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        in.append(buffer, static_cast<std::size_t>(n));
        return true;
    }
}

void noDelay(int fd) {
    const int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
}

// One kept-alive HTTP/1.1 connection to the API, for one stream at a time.
class Upstream {
  public:
    explicit Upstream(int port) : port_(port) {}
    ~Upstream() { disconnect(); }

    // POSTs a message whose content is `contentJson` and calls `onText` with each text delta's
    // JSON string as it arrives; false when the API could not be reached or broke off.
    bool stream(std::string_view contentJson, const std::function<void(std::string_view)>& onText) {
        const std::string body =
            R"({"model":"m","max_tokens":1,"stream":true,"messages":[{"role":"user","content":)" +
            std::string(contentJson) + "}]}";
        const std::string request =
            "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/json\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body;
        if (fd_ >= 0 && sendAll(fd_, request) && readAnswer(onText)) return true;
        disconnect();  // a connection the API closed while idle: once more on a new one
        return connect() && sendAll(fd_, request) && readAnswer(onText);
    }

  private:
    bool connect() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port_));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            disconnect();
            return false;
        }
        noDelay(fd_);
        return true;
    }

    void disconnect() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        in_.clear();
    }

    // The response: its head, then its chunked body up to the last chunk (the connection is
    // then ready for the next request). Events are read as their chunks arrive.
    bool readAnswer(const std::function<void(std::string_view)>& onText) {
        std::size_t headEnd;
        while ((headEnd = in_.find("\r\n\r\n")) == std::string::npos)
            if (!receiveSome(fd_, in_)) return false;
        if (in_.compare(0, 12, "HTTP/1.1 200") != 0) return false;
        in_.erase(0, headEnd + 4);
        std::string events;
        for (;;) {
            std::size_t lineEnd;
            while ((lineEnd = in_.find("\r\n")) == std::string::npos)
                if (!receiveSome(fd_, in_)) return false;
            const std::size_t size = std::strtoul(in_.c_str(), nullptr, 16);
            while (in_.size() < lineEnd + 2 + size + 2)
                if (!receiveSome(fd_, in_)) return false;
            events.append(in_, lineEnd + 2, size);
            in_.erase(0, lineEnd + 2 + size + 2);
            if (size == 0) return true;
            deliverEvents(events, onText);
        }
    }

    // Calls onText for each whole event in `events` that is a text delta, and drops them.
    static void deliverEvents(std::string& events,
                              const std::function<void(std::string_view)>& onText) {
        std::size_t start = 0;
        for (std::size_t end; (end = events.find("\n\n", start)) != std::string::npos;
             start = end + 2) {
            const std::string_view event(events.data() + start, end - start);
            if (event.find("\"type\":\"content_block_delta\"") != std::string_view::npos)
                onText(jsonStringValue(event, "text"));
        }
        events.erase(0, start);
    }

    const int port_;
    int fd_ = -1;
    std::string in_;
};

// Idle upstream connections, taken by one stream at a time.
class UpstreamPool {
  public:
    explicit UpstreamPool(int port) : port_(port) {}
    std::unique_ptr<Upstream> take() {
        std::lock_guard<std::mutex> lock(mutex_);
        if (idle_.empty()) return std::make_unique<Upstream>(port_);
        auto upstream = std::move(idle_.back());
        idle_.pop_back();
        return upstream;
    }
    void give(std::unique_ptr<Upstream> upstream) {
        std::lock_guard<std::mutex> lock(mutex_);
        idle_.push_back(std::move(upstream));
    }

  private:
    const int port_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Upstream>> idle_;
};

// One client's life: the upgrade, the key, then one streamed answer per message.
void serveClient(int fd, UpstreamPool& pool) {
    noDelay(fd);
    std::string in;
    std::size_t headEnd;
    while ((headEnd = in.find("\r\n\r\n")) == std::string::npos)
        if (!receiveSome(fd, in)) return (void)::close(fd);
    bool open = sendAll(fd, upgradeAnswer(std::string_view(in).substr(0, headEnd)));
    in.erase(0, headEnd + 4);
    bool authenticated = false;
    ClientFrame frame;
    while (open) {
        const long used = decodeFrame(in, frame);
        if (used == 0) {
            open = receiveSome(fd, in);
            continue;
        }
        in.erase(0, static_cast<std::size_t>(std::max(used, 0L)));
        if (used < 0 || frame.opcode == 0x8) break;
        if (frame.opcode != 0x1) continue;
        std::string out;
        if (!std::exchange(authenticated, true)) {
            appendAuthenticated(out);
            open = sendAll(fd, out);
            continue;
        }
        auto upstream = pool.take();
        const bool answered =
            upstream->stream(jsonStringValue(frame.payload, "content"), [&](std::string_view text) {
                std::string chunk;
                appendMessageFrame(chunk, text);
                open = open && sendAll(fd, chunk);
            });
        pool.give(std::move(upstream));
        if (answered)
            appendCompleteFrame(out);
        else
            appendTextFrame(out, R"({"type":"error","code":"upstream","message":"no answer"})");
        open = open && sendAll(fd, out);
    }
    ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: agenthost_floor_relay PORT API_PORT\n");
        return 2;
    }
    const int listener = listenOnLoopback(std::atoi(argv[1]));
    if (listener < 0) return 1;
    UpstreamPool pool(std::atoi(argv[2]));
    for (;;) {
        const int client = ::accept(listener, nullptr, nullptr);
        if (client < 0) continue;
        std::thread([client, &pool] { serveClient(client, pool); }).detach();
    }
}
