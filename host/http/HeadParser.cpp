#include "http/HeadParser.h"

#include <Poco/Exception.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include "http/Response.h"

namespace agenthost::http {
namespace bhttp = boost::beast::http;

struct HeadParser::Beast {
    bhttp::request_parser<bhttp::empty_body> parser;
};

namespace {

HeadResult refuse(int status, const std::string& code, const std::string& message) {
    HeadResult result;
    result.state = HeadResult::State::Refused;
    result.refusal = errorResponse(status, code, message);
    return result;
}

HeadResult badRequest(const std::string& message) {
    return refuse(400, "bad_request", message);
}

// Beast accepts obsolete line folding (a field line starting with a space or tab) and
// unfolds it; RFC 9112 5.2 lets a server reject it, and the ambiguity is a smuggling risk.
bool hasObsFold(std::string_view head) {
    for (std::size_t i = head.find('\n'); i != std::string_view::npos && i + 1 < head.size();
         i = head.find('\n', i + 1))
        if (head[i + 1] == ' ' || head[i + 1] == '\t') return true;
    return false;
}

bool hasToken(const std::string& value, const std::string& token) {
    std::size_t start = 0;
    while (start <= value.size()) {
        std::size_t end = value.find(',', start);
        if (end == std::string::npos) end = value.size();
        if (Poco::icompare(Poco::trim(value.substr(start, end - start)), token) == 0) return true;
        start = end + 1;
    }
    return false;
}

// The checks Beast leaves to the server, and the split of the target.
HeadResult finish(const bhttp::request<bhttp::empty_body>& message, std::string_view raw,
                  const HeadLimits& limits) {
    if (hasObsFold(raw)) return badRequest("obsolete line folding is not accepted");
    std::size_t fields = 0, contentLengths = 0, transferEncodings = 0;
    HeadResult result;
    Head& head = result.head;
    for (const auto& field : message) {
        ++fields;
        if (field.name() == bhttp::field::content_length) ++contentLengths;
        if (field.name() == bhttp::field::transfer_encoding) ++transferEncodings;
        head.request.headers.emplace_back(std::string(field.name_string()),
                                          std::string(field.value()));
    }
    if (fields > limits.maxHeaders)
        return refuse(431, "headers_too_large",
                      "more than " + std::to_string(limits.maxHeaders) + " header fields");
    if (contentLengths > 1) return badRequest("Content-Length is repeated");
    if (transferEncodings > 0 && contentLengths > 0)
        return badRequest("Transfer-Encoding and Content-Length together");
    if (message.version() != 10 && message.version() != 11)
        return refuse(505, "http_version_not_supported", "use HTTP/1.1");
    const auto contentLength = message.find(bhttp::field::content_length);
    if (transferEncodings > 0 || (contentLength != message.end() && contentLength->value() != "0"))
        return refuse(413, "body_not_accepted", "requests with a body are not accepted");

    head.target = std::string(message.target());
    if (head.target.empty() || head.target[0] != '/')
        return badRequest("the request target must be a path");
    try {
        Poco::URI uri(head.target);
        head.request.path = uri.getPath();
        head.request.query = uri.getRawQuery();
    } catch (const Poco::Exception&) {
        return badRequest("invalid URI");
    }
    head.request.method = std::string(message.method_string());
    head.keepAlive = message.keep_alive();
    head.upgrade = hasToken(head.request.header("Connection"), "upgrade") &&
                   Poco::icompare(Poco::trim(head.request.header("Upgrade")), "websocket") == 0;
    result.state = HeadResult::State::Done;
    return result;
}

}  // namespace

HeadParser::HeadParser(HeadLimits limits) : limits_(limits) {
    reset();
}

HeadParser::~HeadParser() = default;

void HeadParser::reset() {
    beast_ = std::make_unique<Beast>();
    fed_ = 0;
    beast_->parser.header_limit(static_cast<std::uint32_t>(limits_.maxHeaderBytes));
    beast_->parser.eager(false);  // stop after the head; bodies are refused in finish()
}

HeadResult HeadParser::parse(std::string_view bytes) {
    if (bytes.size() <= fed_) return {};
    // Beast consumes what it has parsed even when it needs more (a whole request line before
    // the fields are complete): only the bytes after those are new to it.
    boost::system::error_code ec;
    const std::size_t used =
        beast_->parser.put(boost::asio::const_buffer(bytes.data() + fed_, bytes.size() - fed_), ec);
    fed_ += used;
    if (ec == bhttp::error::need_more) return {};
    if (ec == bhttp::error::header_limit)
        return refuse(
            431, "headers_too_large",
            "the request head is larger than " + std::to_string(limits_.maxHeaderBytes) + " bytes");
    if (ec) return badRequest("malformed request head (" + ec.message() + ")");
    if (!beast_->parser.is_header_done()) return {};
    HeadResult result = finish(beast_->parser.get(), bytes.substr(0, fed_), limits_);
    result.consumed = fed_;
    return result;
}

}  // namespace agenthost::http
