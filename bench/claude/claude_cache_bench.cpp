// claude_cache_bench: what prompt caching saves over a long conversation.
//
//   claude_cache_bench --mock-port=P --host-port=H [--turns=20] run
//       Runs a mock Messages API on 127.0.0.1:P that accounts each request's input the way the
//       API's prompt cache does (tests/claude/PromptCache.h), then holds one conversation of
//       --turns messages through the host on each of the routes claude_cached
//       (prompt_caching = true) and claude_plain (prompt_caching = false), and prints the
//       input tokens each route was billed: in full, written to the cache, read from it.
// The client key comes from $AGENTHOST_BENCH_KEY. Loopback only.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/StreamCopier.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

#include "PromptCache.h"

namespace {

using agenthost::test::CacheUsage;
using agenthost::test::PromptCache;

struct Options {
    int mockPort = 0;
    int hostPort = 0;
    int turns = 20;
};

// An answer of about 150 tokens, different each turn, as a model's would be.
std::string answerText(int n) {
    std::string text = "Answer " + std::to_string(n) + ": ";
    for (int i = 0; i < 12; ++i)
        text += "here is a sentence of explanation number " + std::to_string(i) + ". ";
    return text;
}

std::string sse(const std::string& type, const std::string& json) {
    return "event: " + type + "\ndata: " + json + "\n\n";
}

class MockHandler final : public Poco::Net::HTTPRequestHandler {
  public:
    explicit MockHandler(PromptCache& cache) : cache_(cache) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        std::string body;
        Poco::StreamCopier::copyToString(request.stream(), body);
        Poco::JSON::Parser parser;
        const auto json = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
        const CacheUsage usage = cache_.account(*json);
        const int turn = static_cast<int>(json->getArray("messages")->size() + 1) / 2;
        Poco::JSON::Object delta;
        delta.set("type", "text_delta");
        delta.set("text", answerText(turn));
        Poco::JSON::Object event;
        event.set("type", "content_block_delta");
        event.set("index", 0);
        event.set("delta", delta);
        std::ostringstream deltaJson;
        event.stringify(deltaJson);
        const std::string stream =
            sse("message_start",
                R"({"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"model":"mock","usage":)" +
                    agenthost::test::usageJson(usage, 1) + "}}") +
            sse("content_block_start",
                R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})") +
            sse("content_block_delta", deltaJson.str()) +
            sse("content_block_stop", R"({"type":"content_block_stop","index":0})") +
            sse("message_delta",
                R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":150}})") +
            sse("message_stop", R"({"type":"message_stop"})");
        response.setContentType("text/event-stream");
        response.sendBuffer(stream.data(), stream.size());
    }

  private:
    PromptCache& cache_;
};

class MockFactory final : public Poco::Net::HTTPRequestHandlerFactory {
  public:
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
        return new MockHandler(cache_);
    }

  private:
    PromptCache cache_;
};

std::string receiveText(Poco::Net::WebSocket& ws) {
    Poco::Buffer<char> buffer(0);
    int flags = 0;
    const int n = ws.receiveFrame(buffer, flags);
    if (n <= 0 && flags == 0) throw std::runtime_error("connection closed");
    return std::string(buffer.begin(), static_cast<std::size_t>(n));
}

struct Totals {
    std::uint64_t input = 0, creation = 0, read = 0, output = 0;
};

// One conversation of o.turns messages on `route`; the usage of its complete frames, summed.
Totals converse(const Options& o, const std::string& route, const std::string& key) {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(o.hostPort));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/api/" + route + "/ws",
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    Poco::Net::HTTPResponse response;
    Poco::Net::WebSocket ws(session, request, response);
    ws.setReceiveTimeout(Poco::Timespan(60, 0));
    ws.sendFrame(key.data(), static_cast<int>(key.size()));
    receiveText(ws);  // "authenticated"
    receiveText(ws);  // the ready frame
    Totals totals;
    for (int turn = 1; turn <= o.turns; ++turn) {
        const std::string message =
            R"({"content":"Question )" + std::to_string(turn) +
            R"(: please explain the next step of the plan in some detail, with examples."})";
        ws.sendFrame(message.data(), static_cast<int>(message.size()));
        for (;;) {
            const std::string frame = receiveText(ws);
            if (frame.find("\"type\":\"error\"") != std::string::npos)
                throw std::runtime_error("error frame: " + frame);
            if (frame.find("\"type\":\"complete\"") == std::string::npos) continue;
            Poco::JSON::Parser parser;
            const auto usage =
                parser.parse(frame).extract<Poco::JSON::Object::Ptr>()->getObject("usage");
            totals.input += usage->getValue<std::uint64_t>("input_tokens");
            totals.output += usage->getValue<std::uint64_t>("output_tokens");
            totals.creation += usage->optValue<std::uint64_t>("cache_creation_input_tokens", 0);
            totals.read += usage->optValue<std::uint64_t>("cache_read_input_tokens", 0);
            break;
        }
    }
    return totals;
}

// Input priced in "full-price input tokens": cache writes cost 1.25 times as much, reads 0.1
// times (the API's prices for the 5-minute cache).
double priced(const Totals& t) {
    return static_cast<double>(t.input) + 1.25 * static_cast<double>(t.creation) +
           0.1 * static_cast<double>(t.read);
}

int run(const Options& o) {
    const char* key = std::getenv("AGENTHOST_BENCH_KEY");
    if (key == nullptr) throw std::runtime_error("set AGENTHOST_BENCH_KEY");
    Poco::Net::ServerSocket socket(
        Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(o.mockPort)));
    Poco::Net::HTTPServer server(new MockFactory, socket, new Poco::Net::HTTPServerParams);
    server.start();
    const Totals cached = converse(o, "claude_cached", key);
    const Totals plain = converse(o, "claude_plain", key);
    server.stop();
    std::printf("%d-turn conversation, mock Messages API with prompt-cache accounting\n", o.turns);
    std::printf("%-16s %12s %12s %12s %20s\n", "prompt_caching", "full price", "cache write",
                "cache read", "priced as full-price");
    for (const auto& [name, t] : {std::pair{"false", plain}, std::pair{"true", cached}})
        std::printf("%-16s %12llu %12llu %12llu %20.0f\n", name,
                    static_cast<unsigned long long>(t.input),
                    static_cast<unsigned long long>(t.creation),
                    static_cast<unsigned long long>(t.read), priced(t));
    std::printf("input billed at full price: %.1f %% of the uncached run; priced input: %.1f %%\n",
                100.0 * static_cast<double>(cached.input) / static_cast<double>(plain.input),
                100.0 * priced(cached) / priced(plain));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    std::string command;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.rfind("--mock-port=", 0) == 0)
            o.mockPort = std::stoi(arg.substr(12));
        else if (arg.rfind("--host-port=", 0) == 0)
            o.hostPort = std::stoi(arg.substr(12));
        else if (arg.rfind("--turns=", 0) == 0)
            o.turns = std::stoi(arg.substr(8));
        else
            command = arg;
    }
    if (command != "run" || o.mockPort == 0 || o.hostPort == 0) {
        std::cerr << "usage: claude_cache_bench --mock-port=P --host-port=H [--turns=20] run\n";
        return 2;
    }
    try {
        return run(o);
    } catch (const std::exception& e) {
        std::cerr << "claude_cache_bench: " << e.what() << "\n";
        return 1;
    }
}
