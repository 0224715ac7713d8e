#include "MockAnthropic.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace agenthost::test {
namespace {

// libcurl in the plugin (and the host it runs in) honours proxy variables; the mock is local.
const bool kLoopbackBypassesProxies = [] {
    ::setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    ::setenv("no_proxy", "127.0.0.1,localhost", 1);
    return true;
}();

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string stringify(const Poco::JSON::Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

class Handler final : public Poco::Net::HTTPRequestHandler {
  public:
    explicit Handler(MockAnthropic& mock) : mock_(mock) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        RecordedRequest recorded;
        recorded.method = request.getMethod();
        recorded.uri = request.getURI();
        recorded.clientPort = request.clientAddress().port();
        for (const auto& [name, value] : request) recorded.headers[lower(name)] = value;
        Poco::StreamCopier::copyToString(request.stream(), recorded.body);
        mock_.handle(std::move(recorded), response);
    }

  private:
    MockAnthropic& mock_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
  public:
    explicit Factory(MockAnthropic& mock) : mock_(mock) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
        return new Handler(mock_);
    }

  private:
    MockAnthropic& mock_;
};

}  // namespace

std::string RecordedRequest::header(const std::string& name) const {
    auto it = headers.find(lower(name));
    return it == headers.end() ? "" : it->second;
}

Poco::JSON::Object::Ptr RecordedRequest::json() const {
    Poco::JSON::Parser parser;
    return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
}

// ---- Exchange

void Exchange::startStream(std::optional<std::size_t> contentLength) {
    response_.setStatus(Poco::Net::HTTPResponse::HTTP_OK);
    response_.setContentType("text/event-stream; charset=utf-8");
    response_.set("request-id", "req_mock");
    if (contentLength)
        response_.setContentLength64(static_cast<Poco::Int64>(*contentLength));
    else
        response_.setChunkedTransferEncoding(true);
    stream_ = &response_.send();
    stream_->flush();
}

bool Exchange::write(const std::string& bytes) {
    if (stream_ == nullptr) startStream();
    stream_->write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    stream_->flush();
    return stream_->good();
}

bool Exchange::writeSplit(const std::string& bytes, std::size_t maxPiece,
                          std::chrono::milliseconds pause) {
    std::size_t at = 0;
    std::size_t step = 1;
    while (at < bytes.size()) {
        const std::size_t n = std::min(step, bytes.size() - at);
        if (!write(bytes.substr(at, n))) return false;
        at += n;
        step = step % maxPiece + 1;  // 1, 2, ..., maxPiece, 1, ...: cuts land everywhere
        std::this_thread::sleep_for(pause);
    }
    return true;
}

void Exchange::sendError(int status, const std::string& type, const std::string& message,
                         const std::map<std::string, std::string>& headers) {
    Poco::JSON::Object error;
    error.set("type", type);
    error.set("message", message);
    Poco::JSON::Object body;
    body.set("type", "error");
    body.set("error", error);
    const std::string text = stringify(body);
    response_.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    response_.setContentType("application/json");
    response_.set("request-id", "req_mock_error");
    for (const auto& [name, value] : headers) response_.set(name, value);
    response_.sendBuffer(text.data(), text.size());
}

bool Exchange::waitUntilClientGone(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!write(sseEvent("ping", R"({"type": "ping"})"))) return true;
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

// ---- TlsIdentity

TlsIdentity TlsIdentity::selfSigned(const std::string& dir) {
    TlsIdentity identity{dir + "/mock-cert.pem", dir + "/mock-key.pem"};
    const std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" +
        identity.privateKeyFile + "' -out '" + identity.certificateFile + "' >'" + dir +
        "/openssl.log' 2>&1";
    if (std::system(command.c_str()) != 0)
        throw std::runtime_error("openssl could not make a test certificate: " + command);
    return identity;
}

// ---- MockAnthropic

MockAnthropic::MockAnthropic() : pool_(2, 128) {
    serve(Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0), 256));
}

MockAnthropic::MockAnthropic(const TlsIdentity& identity) : tls_(true), pool_(2, 128) {
    Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, identity.privateKeyFile,
                               identity.certificateFile, "", Poco::Net::Context::VERIFY_NONE);
    serve(Poco::Net::SecureServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0), 256, context));
}

void MockAnthropic::serve(const Poco::Net::ServerSocket& socket) {
    std::signal(SIGPIPE, SIG_IGN);  // a client that went away must fail a write, not kill us
    default_ = streamPieces({"Hello", "!"});
    auto params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(10000);
    params->setKeepAliveTimeout(Poco::Timespan(30, 0));
    params->setMaxThreads(128);
    params->setMaxQueued(256);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), pool_, socket, params);
    server_->start();
}

MockAnthropic::~MockAnthropic() {
    server_->stopAll(true);
    pool_.joinAll();
}

std::uint16_t MockAnthropic::port() const {
    return server_->socket().address().port();
}

void MockAnthropic::setDefault(Behaviour behaviour) {
    std::lock_guard<std::mutex> lock(mutex_);
    default_ = std::move(behaviour);
}

void MockAnthropic::enqueue(Behaviour behaviour) {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(behaviour));
}

std::vector<RecordedRequest> MockAnthropic::requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
}

void MockAnthropic::forgetRequests() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<RecordedRequest>().swap(requests_);
}

std::size_t MockAnthropic::requestCount() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_.size();
}

bool MockAnthropic::waitForRequests(std::size_t count, std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
}

void MockAnthropic::noteClientGone() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++clientsGone_;
    changed_.notify_all();
}

bool MockAnthropic::waitForClientGone(std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return clientsGone_ > 0; });
}

std::size_t MockAnthropic::clientsGone() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return clientsGone_;
}

void MockAnthropic::handle(RecordedRequest request, Poco::Net::HTTPServerResponse& response) {
    Behaviour behaviour;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        requests_.push_back(request);
        ++answering_;
        if (!queue_.empty()) {
            behaviour = std::move(queue_.front());
            queue_.pop_front();
        } else {
            behaviour = default_;
        }
        changed_.notify_all();
    }
    {
        Exchange exchange(request, response);
        try {
            behaviour(exchange);
        } catch (const std::exception&) {
            // A client that went away mid-write; the test sees it through its own expectations.
        }
        behaviour = nullptr;  // and what it captured
    }
    std::lock_guard<std::mutex> lock(mutex_);
    --answering_;
    changed_.notify_all();
}

bool MockAnthropic::waitUntilAnswered(std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return answering_ == 0; });
}

// ---- SSE pieces

std::string sseEvent(const std::string& type, const std::string& json) {
    return "event: " + type + "\ndata: " + json + "\n\n";
}

std::string messageStartEvent(std::uint64_t inputTokens) {
    return sseEvent(
               "message_start",
               R"({"type":"message_start","message":{"id":"msg_mock","type":"message","role":"assistant","content":[],"model":"mock","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":)" +
                   std::to_string(inputTokens) + R"(,"output_tokens":1}}})") +
           sseEvent(
               "content_block_start",
               R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})");
}

std::string textDeltaEvent(const std::string& text) {
    Poco::JSON::Object delta;
    delta.set("type", "text_delta");
    delta.set("text", text);
    Poco::JSON::Object event;
    event.set("type", "content_block_delta");
    event.set("index", 0);
    event.set("delta", delta);
    return sseEvent("content_block_delta", stringify(event));
}

std::string messageEndEvents(std::uint64_t outputTokens) {
    return sseEvent("content_block_stop", R"({"type":"content_block_stop","index":0})") +
           sseEvent(
               "message_delta",
               R"({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":)" +
                   std::to_string(outputTokens) + "}}") +
           sseEvent("message_stop", R"({"type":"message_stop"})");
}

std::string fullStream(const std::vector<std::string>& pieces, std::uint64_t inputTokens,
                       std::uint64_t outputTokens) {
    std::string out = messageStartEvent(inputTokens);
    for (const auto& piece : pieces) out += textDeltaEvent(piece);
    return out + messageEndEvents(outputTokens);
}

std::string messageStartWithUsage(const std::string& usageJson) {
    return sseEvent(
        "message_start",
        R"({"type":"message_start","message":{"id":"msg_mock","type":"message","role":"assistant","content":[],"model":"mock","stop_reason":null,"stop_sequence":null,"usage":)" +
            usageJson + "}}");
}

std::string blockEvents(std::size_t index, const std::string& blockJson,
                        const std::vector<std::string>& deltaJsons) {
    const std::string at = std::to_string(index);
    std::string out =
        sseEvent("content_block_start", R"({"type":"content_block_start","index":)" + at +
                                            R"(,"content_block":)" + blockJson + "}");
    for (const auto& delta : deltaJsons)
        out += sseEvent("content_block_delta", R"({"type":"content_block_delta","index":)" + at +
                                                   R"(,"delta":)" + delta + "}");
    return out +
           sseEvent("content_block_stop", R"({"type":"content_block_stop","index":)" + at + "}");
}

std::string textBlock(std::size_t index, const std::string& text) {
    Poco::JSON::Object delta;
    delta.set("type", "text_delta");
    delta.set("text", text);
    return blockEvents(index, R"({"type":"text","text":""})", {stringify(delta)});
}

std::string stopEvents(const std::string& stopReason, std::uint64_t outputTokens) {
    return sseEvent("message_delta", R"({"type":"message_delta","delta":{"stop_reason":")" +
                                         stopReason +
                                         R"(","stop_sequence":null},"usage":{"output_tokens":)" +
                                         std::to_string(outputTokens) + "}}") +
           sseEvent("message_stop", R"({"type":"message_stop"})");
}

Behaviour streamPieces(std::vector<std::string> pieces, std::uint64_t inputTokens,
                       std::uint64_t outputTokens) {
    return [=](Exchange& exchange) {
        exchange.write(messageStartEvent(inputTokens));
        for (const auto& piece : pieces) exchange.write(textDeltaEvent(piece));
        exchange.write(messageEndEvents(outputTokens));
    };
}

Behaviour streamPiecesSized(std::vector<std::string> pieces, std::uint64_t inputTokens,
                            std::uint64_t outputTokens) {
    return [=](Exchange& exchange) {
        std::vector<std::string> events{messageStartEvent(inputTokens)};
        for (const auto& piece : pieces) events.push_back(textDeltaEvent(piece));
        events.push_back(messageEndEvents(outputTokens));
        std::size_t length = 0;
        for (const auto& event : events) length += event.size();
        exchange.startStream(length);
        for (const auto& event : events) exchange.write(event);
    };
}

Behaviour errorStatus(int status, std::string type, std::string message,
                      std::map<std::string, std::string> headers) {
    return [=](Exchange& exchange) { exchange.sendError(status, type, message, headers); };
}

}  // namespace agenthost::test
