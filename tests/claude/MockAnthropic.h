// A local stand-in for the Anthropic Messages API: a real Poco HTTP server on 127.0.0.1 (HTTPS
// when given a certificate) that records each request and answers it with a scripted behaviour
// (an SSE stream with chunked transfer and a flush per write, an error status with an
// Anthropic-style JSON body, a stall).
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace agenthost::test {

using namespace std::chrono_literals;

struct RecordedRequest {
    std::string method;
    std::string uri;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    std::uint16_t clientPort = 0;  // the connection's source port: equal ports, reused connection

    std::string header(const std::string& name) const;
    Poco::JSON::Object::Ptr json() const;
};

// One request being answered, handed to a behaviour on the server's thread.
class Exchange {
  public:
    Exchange(const RecordedRequest& recorded, Poco::Net::HTTPServerResponse& response)
        : request(recorded), response_(response) {}

    const RecordedRequest& request;

    // Starts a 200 text/event-stream response: chunked transfer, or with a Content-Length when
    // `contentLength` is given (the body then ends with its last byte, not with a separate
    // terminating chunk).
    void startStream(std::optional<std::size_t> contentLength = std::nullopt);
    // Writes and flushes; false once the client has gone (the write failed).
    bool write(const std::string& bytes);
    // Writes `bytes` in pieces of 1..maxPiece bytes with `pause` between them.
    bool writeSplit(const std::string& bytes, std::size_t maxPiece,
                    std::chrono::milliseconds pause);
    // Sends an error status with {"type":"error","error":{"type","message"}}.
    void sendError(int status, const std::string& type, const std::string& message,
                   const std::map<std::string, std::string>& headers = {});
    // Keeps the stream open, writing pings every 20 ms, until a write fails (true) or `limit`.
    bool waitUntilClientGone(std::chrono::milliseconds limit);

  private:
    Poco::Net::HTTPServerResponse& response_;
    std::ostream* stream_ = nullptr;
};

using Behaviour = std::function<void(Exchange&)>;

// A certificate and its private key, PEM files.
struct TlsIdentity {
    std::string certificateFile;
    std::string privateKeyFile;

    // A self-signed ECDSA certificate for 127.0.0.1 made with the openssl command into `dir`.
    static TlsIdentity selfSigned(const std::string& dir);
};

class MockAnthropic {
  public:
    MockAnthropic();
    // Serves HTTPS with `identity`.
    explicit MockAnthropic(const TlsIdentity& identity);
    ~MockAnthropic();
    MockAnthropic(const MockAnthropic&) = delete;
    MockAnthropic& operator=(const MockAnthropic&) = delete;

    std::uint16_t port() const;
    std::string baseUrl() const {
        return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port());
    }

    // The behaviour for requests when nothing is queued (initially: a short "Hello!" stream).
    void setDefault(Behaviour behaviour);
    // The next request gets `behaviour` (first queued, first served).
    void enqueue(Behaviour behaviour);

    std::vector<RecordedRequest> requests() const;
    // Drops the recorded requests (and their memory): for tests that count the heap.
    void forgetRequests();
    std::size_t requestCount() const;
    bool waitForRequests(std::size_t count, std::chrono::milliseconds timeout = 5s) const;
    // Waits until the behaviour of every request received so far has returned: what the mock
    // holds for a request is gone then, for tests that count the heap.
    bool waitUntilAnswered(std::chrono::milliseconds timeout = 5s) const;

    // Behaviours call noteClientGone() when a write failed; tests wait for it.
    void noteClientGone();
    bool waitForClientGone(std::chrono::milliseconds timeout) const;
    std::size_t clientsGone() const;

    // Called by the server's request handler.
    void handle(RecordedRequest request, Poco::Net::HTTPServerResponse& response);

  private:
    void serve(const Poco::Net::ServerSocket& socket);

    bool tls_ = false;
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::vector<RecordedRequest> requests_;
    std::deque<Behaviour> queue_;
    Behaviour default_;
    std::size_t clientsGone_ = 0;
    std::size_t answering_ = 0;  // requests whose behaviour has not returned yet

    Poco::ThreadPool pool_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
};

// SSE pieces of a Messages API stream.
std::string sseEvent(const std::string& type, const std::string& json);
std::string messageStartEvent(std::uint64_t inputTokens);
std::string textDeltaEvent(const std::string& text);
std::string messageEndEvents(std::uint64_t outputTokens);  // block stop, message_delta, stop
std::string fullStream(const std::vector<std::string>& pieces, std::uint64_t inputTokens,
                       std::uint64_t outputTokens);

// A stream built block by block: message_start with a usage object (JSON), then blocks, then
// the end with a stop reason.
std::string messageStartWithUsage(const std::string& usageJson);
// content_block_start with `blockJson`, one content_block_delta per delta object, then stop.
std::string blockEvents(std::size_t index, const std::string& blockJson,
                        const std::vector<std::string>& deltaJsons = {});
std::string textBlock(std::size_t index, const std::string& text);
std::string stopEvents(const std::string& stopReason, std::uint64_t outputTokens = 5);

// Common behaviours.
Behaviour streamPieces(std::vector<std::string> pieces, std::uint64_t inputTokens = 10,
                       std::uint64_t outputTokens = 5);
// As streamPieces, with a Content-Length instead of chunked transfer: the response is over the
// moment its last event is read, so the client can reuse the connection deterministically (with
// chunked transfer the terminating chunk is a write of its own, and a request sent in between
// needs a new connection).
Behaviour streamPiecesSized(std::vector<std::string> pieces, std::uint64_t inputTokens = 10,
                            std::uint64_t outputTokens = 5);
Behaviour errorStatus(int status, std::string type, std::string message,
                      std::map<std::string, std::string> headers = {});

}  // namespace agenthost::test
