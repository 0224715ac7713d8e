// claude_stream_bench: measures what agenthost and claude.so add to a streaming answer.
//
//   claude_stream_bench --mock-port=P serve
//       Runs only the mock Messages API on 127.0.0.1:P (for a host configured with
//       base_url = http://127.0.0.1:P); each answer is --deltas text deltas, the first at once,
//       then one every --interval-ms.
//   claude_stream_bench --mock-port=P --host-port=H [--route=claude] [--streams=500]
//       [--server-pid=PID] run
//       Runs the mock, measures time to first delta directly against it (baseline), then opens
//       --streams authenticated WebSockets to the host, sends one message on each at once and
//       measures time to the first message frame and to the complete frame. While the streams
//       are open it samples the host's thread count and open fds from /proc/PID/status.
//       --tls: the host serves wss:// (tls_cert/tls_key); the client does not check the
//       certificate. The handshake happens before the clock starts: what is timed is the
//       host's path from the message to the first chunk, with TLS records on the way.
//       --samples=N: one-at-a-time streams (direct and through the host, alternating), 20;
//       "host adds" is the median of each pair's difference (a busy machine moves both).
// The client key comes from $AGENTHOST_BENCH_KEY. Loopback only.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <dirent.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Options {
    int mockPort = 0;
    int hostPort = 0;
    std::string route = "claude";
    int streams = 500;
    int deltas = 20;
    int intervalMs = 50;
    int serverPid = 0;
    bool tls = false;
    int samples = 20;
    std::string mode;
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const auto eq = arg.find('=');
        const std::string name = arg.substr(0, eq);
        const std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
        if (name == "--mock-port")
            o.mockPort = std::stoi(value);
        else if (name == "--host-port")
            o.hostPort = std::stoi(value);
        else if (name == "--route")
            o.route = value;
        else if (name == "--streams")
            o.streams = std::stoi(value);
        else if (name == "--deltas")
            o.deltas = std::stoi(value);
        else if (name == "--interval-ms")
            o.intervalMs = std::stoi(value);
        else if (name == "--server-pid")
            o.serverPid = std::stoi(value);
        else if (arg == "--tls")
            o.tls = true;
        else if (name == "--samples")
            o.samples = std::stoi(value);
        else if (arg == "serve" || arg == "run")
            o.mode = arg;
        else
            throw std::invalid_argument("unknown argument " + arg);
    }
    if (o.mockPort == 0 || o.mode.empty() || (o.mode == "run" && o.hostPort == 0))
        throw std::invalid_argument(
            "usage: claude_stream_bench --mock-port=P [--host-port=H --route=claude --streams=500 "
            "--deltas=20 --interval-ms=50 --server-pid=PID --tls --samples=20] serve|run");
    return o;
}

std::string sse(const std::string& type, const std::string& json) {
    return "event: " + type + "\ndata: " + json + "\n\n";
}

// The mock Messages API: one thread per stream (fine for a benchmark's client side).
class MockHandler final : public Poco::Net::HTTPRequestHandler {
  public:
    MockHandler(int deltas, int intervalMs) : deltas_(deltas), intervalMs_(intervalMs) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        std::string body;
        Poco::StreamCopier::copyToString(request.stream(), body);
        response.setContentType("text/event-stream");
        response.setChunkedTransferEncoding(true);
        std::ostream& out = response.send();
        out << sse("message_start",
                   R"({"type":"message_start","message":{"usage":{"input_tokens":10,"output_tokens":1}}})")
            << textDelta("first") << std::flush;
        for (int i = 1; i < deltas_ && out.good(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(intervalMs_));
            out << textDelta(" more") << std::flush;
        }
        out << sse("message_delta",
                   R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":)" +
                       std::to_string(deltas_) + "}}")
            << sse("message_stop", R"({"type":"message_stop"})") << std::flush;
    }

  private:
    static std::string textDelta(const std::string& text) {
        return sse(
            "content_block_delta",
            R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":")" +
                text + "\"}}");
    }
    int deltas_;
    int intervalMs_;
};

class MockFactory final : public Poco::Net::HTTPRequestHandlerFactory {
  public:
    MockFactory(int deltas, int intervalMs) : deltas_(deltas), intervalMs_(intervalMs) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
        return new MockHandler(deltas_, intervalMs_);
    }

  private:
    int deltas_;
    int intervalMs_;
};

struct Mock {
    Poco::ThreadPool pool{4, 2048};
    std::unique_ptr<Poco::Net::HTTPServer> server;
    Mock(const Options& o) {
        auto params = new Poco::Net::HTTPServerParams;
        params->setMaxThreads(2048);
        params->setMaxQueued(4096);
        params->setKeepAlive(true);
        Poco::Net::ServerSocket socket(
            Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(o.mockPort)), 1024);
        server = std::make_unique<Poco::Net::HTTPServer>(new MockFactory(o.deltas, o.intervalMs),
                                                         pool, socket, params);
        server->start();
    }
    ~Mock() { server->stopAll(true); }
};

double ms(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

// Time to the first text delta's bytes, straight from the mock (no host, no plugin), on
// `session`: one kept-alive connection for all samples, as the plugin's curl keeps its
// connection to the API. (A new connection per sample would time a TCP handshake and the mock
// server's hand-off of the new connection to a thread, which the path through the host does not
// take: "host adds" would come out smaller than it is.)
double directFirstDeltaMs(Poco::Net::HTTPClientSession& session) {
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/v1/messages",
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    const std::string body = R"({"model":"m","max_tokens":1,"stream":true,"messages":[]})";
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    const auto began = Clock::now();
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("data: {\"type\":\"content_block_delta\"", 0) == 0) break;
    const double took = ms(Clock::now() - began);
    Poco::NullOutputStream sink;
    Poco::StreamCopier::copyStream(in, sink);
    return took;
}

std::string procStatus(int pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field + ":", 0) == 0) return line.substr(field.size() + 1);
    return "?";
}

int fdCount(int pid) {
    int n = 0;
    if (DIR* dir = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
        while (readdir(dir)) ++n;
        closedir(dir);
    }
    return n - 2;
}

struct StreamResult {
    double firstChunkMs = -1;
    double completeMs = -1;
    bool ok = false;
};

std::string receiveText(Poco::Net::WebSocket& ws) {
    Poco::Buffer<char> buffer(0);
    int flags = 0;
    const int n = ws.receiveFrame(buffer, flags);
    if (n <= 0 && flags == 0) throw std::runtime_error("connection closed");
    return std::string(buffer.begin(), static_cast<std::size_t>(n));
}

// A session to the host: plain, or TLS without certificate checks (--tls).
std::unique_ptr<Poco::Net::HTTPClientSession> hostSession(const Options& o) {
    const auto port = static_cast<Poco::UInt16>(o.hostPort);
    if (!o.tls) return std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port);
    static const Poco::Net::Context::Ptr context = [] {
        Poco::Net::Context::Params params;
        params.verificationMode = Poco::Net::Context::VERIFY_NONE;
        return Poco::Net::Context::Ptr(
            new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params));
    }();
    return std::make_unique<Poco::Net::HTTPSClientSession>("127.0.0.1", port, context);
}

void runStream(const Options& o, const std::string& key, std::atomic<int>& ready,
               std::atomic<bool>& go, StreamResult& result) {
    try {
        const auto session = hostSession(o);
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/api/" + o.route + "/ws",
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        Poco::Net::HTTPResponse response;
        Poco::Net::WebSocket ws(*session, request, response);
        ws.setReceiveTimeout(Poco::Timespan(120, 0));
        ws.sendFrame(key.data(), static_cast<int>(key.size()));
        receiveText(ws);  // "authenticated"
        receiveText(ws);  // the ready frame
        ++ready;
        while (!go) std::this_thread::sleep_for(1ms);
        const std::string message = R"({"content":"bench"})";
        const auto began = Clock::now();
        ws.sendFrame(message.data(), static_cast<int>(message.size()));
        for (;;) {
            const std::string frame = receiveText(ws);
            if (frame.find("\"type\":\"message\"") != std::string::npos && result.firstChunkMs < 0)
                result.firstChunkMs = ms(Clock::now() - began);
            if (frame.find("\"type\":\"complete\"") != std::string::npos) {
                result.completeMs = ms(Clock::now() - began);
                result.ok = true;
                return;
            }
            if (frame.find("\"type\":\"error\"") != std::string::npos) {
                std::cerr << "error frame: " << frame << "\n";
                return;
            }
        }
    } catch (const std::exception& e) {
        std::cerr << "stream failed: " << e.what() << "\n";
    }
}

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return -1;
    std::sort(values.begin(), values.end());
    return values[static_cast<std::size_t>(p * static_cast<double>(values.size() - 1))];
}

int run(const Options& o) {
    const char* key = std::getenv("AGENTHOST_BENCH_KEY");
    if (key == nullptr) throw std::invalid_argument("set AGENTHOST_BENCH_KEY to a client key");
    Mock mock(o);
    std::vector<double> direct;
    std::vector<double> alone;  // one stream at a time through the host: the plain overhead
    std::vector<double> added;  // each stream through the host minus the direct one before it
    Poco::Net::HTTPClientSession directSession("127.0.0.1", static_cast<Poco::UInt16>(o.mockPort));
    directSession.setKeepAlive(true);
    for (int i = 0; i < o.samples; ++i) {
        direct.push_back(directFirstDeltaMs(directSession));
        StreamResult single;
        std::atomic<int> unused{0};
        std::atomic<bool> now{true};
        runStream(o, key, unused, now, single);
        if (!single.ok) continue;
        alone.push_back(single.firstChunkMs);
        added.push_back(single.firstChunkMs - direct.back());
    }
    std::cout << "first delta ms, one stream at a time: direct p50 " << percentile(direct, 0.5)
              << " p99 " << percentile(direct, 0.99) << "; through host p50 "
              << percentile(alone, 0.5) << " p99 " << percentile(alone, 0.99) << "\n"
              << "host adds p50 " << percentile(added, 0.5) << " ms (median of the " << added.size()
              << " pairs, " << (o.tls ? "wss://" : "ws://") << ")\n";
    if (o.serverPid)
        std::cout << "host before: threads " << procStatus(o.serverPid, "Threads") << ", fds "
                  << fdCount(o.serverPid) << "\n";

    std::vector<StreamResult> results(static_cast<std::size_t>(o.streams));
    std::vector<std::thread> threads;
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    for (auto& result : results)
        threads.emplace_back(runStream, std::cref(o), std::string(key), std::ref(ready),
                             std::ref(go), std::ref(result));
    const auto deadline = Clock::now() + 60s;
    while (ready < o.streams && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
    go = true;
    // Sample while every stream is open (they last deltas * interval).
    std::this_thread::sleep_for(std::chrono::milliseconds(o.deltas * o.intervalMs / 2));
    if (o.serverPid)
        std::cout << "host during " << ready.load() << " streams: threads "
                  << procStatus(o.serverPid, "Threads") << ", fds " << fdCount(o.serverPid)
                  << ", VmRSS " << procStatus(o.serverPid, "VmRSS") << "\n";
    for (auto& t : threads) t.join();

    std::vector<double> first, complete;
    for (const auto& r : results)
        if (r.ok) {
            first.push_back(r.firstChunkMs);
            complete.push_back(r.completeMs);
        }
    std::cout << "streams ok: " << first.size() << "/" << o.streams << "\n"
              << "all streams at once, first chunk ms: p50 " << percentile(first, 0.5) << " p99 "
              << percentile(first, 0.99) << "\n"
              << "all streams at once, complete ms: p50 " << percentile(complete, 0.5) << " p99 "
              << percentile(complete, 0.99) << " (the mock alone takes "
              << (o.deltas - 1) * o.intervalMs << ")\n";
    return first.size() == results.size() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    try {
        const Options o = parse(argc, argv);
        if (o.mode == "serve") {
            Mock mock(o);
            std::cout << "mock Messages API on http://127.0.0.1:" << o.mockPort
                      << " (Ctrl-C to stop)" << std::endl;
            for (;;) std::this_thread::sleep_for(1h);
        }
        return run(o);
    } catch (const std::exception& e) {
        std::cerr << "claude_stream_bench: " << e.what() << "\n";
        return 2;
    }
}
