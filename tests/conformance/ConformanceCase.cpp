#include "ConformanceCase.h"

#include <Poco/JSON/Object.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "RawWebSocket.h"
#include "support/HostProcess.h"
#include "support/WsClient.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kFrameTimeout = 3s;
// Long enough for a loaded machine, well below the server's 2 s close-handshake timeout, so
// that a server that only drops the connection when that timer fires fails the case.
constexpr auto kHangUpTimeout = 1s;

constexpr int kText = 0x1, kBinary = 0x2, kClose = 0x8, kPing = 0x9, kPong = 0xA;

struct CaseFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void require(bool condition, const std::string& what) {
    if (!condition) throw CaseFailure(what);
}

WireFrame nextFrame(RawWebSocket& ws, const std::string& waitingFor) {
    auto frame = ws.next(kFrameTimeout);
    require(frame.has_value(), (ws.closed() ? "TCP closed" : "nothing came") +
                                   std::string(" while waiting for ") + waitingFor);
    require(
        !frame->masked && frame->rsv == 0 && frame->fin,
        "a server frame must be final, unmasked and without reserved bits: " + frame->describe());
    return *frame;
}

Poco::JSON::Object::Ptr nextJson(RawWebSocket& ws, const std::string& waitingFor) {
    const auto frame = nextFrame(ws, waitingFor);
    require(frame.opcode == kText,
            "expected a text frame (" + waitingFor + "), got " + frame.describe());
    try {
        return parseJson(frame.payload);
    } catch (const std::exception&) {
        throw CaseFailure("expected JSON (" + waitingFor + "), got " + frame.describe());
    }
}

void expectText(RawWebSocket& ws, const std::string& expected) {
    const auto frame = nextFrame(ws, "\"" + expected + "\"");
    require(frame.opcode == kText && frame.payload == expected,
            "expected the text frame \"" + expected + "\", got " + frame.describe());
}

void expectReady(RawWebSocket& ws) {
    expectText(ws, "authenticated");
    const auto ready = nextJson(ws, "the ready frame");
    require(ready->optValue<std::string>("type", "") == "ready", "expected the ready frame");
}

// The echo plugin's answer: message frames whose content joins to `content`, then complete.
void expectEcho(RawWebSocket& ws, const std::string& content) {
    std::string joined;
    for (;;) {
        const auto frame = nextJson(ws, "the answer to the message");
        const auto type = frame->optValue<std::string>("type", "");
        if (type == "complete") break;
        require(type == "message", "expected message or complete frames, got type " + type + " (" +
                                       frame->optValue<std::string>("code", "") + ")");
        joined += frame->getValue<std::string>("content");
    }
    require(joined == content, "the answer's content differs from the message's (" +
                                   std::to_string(joined.size()) + " bytes for " +
                                   std::to_string(content.size()) + ")");
}

void expectClose(RawWebSocket& ws, int code, bool skipAnswers) {
    for (;;) {
        const auto frame = nextFrame(ws, "Close " + std::to_string(code));
        if (skipAnswers && frame.opcode == kText) continue;
        require(frame.opcode == kClose,
                "expected Close " + std::to_string(code) + ", got " + frame.describe());
        require(frame.closeCode() == code, "expected Close " + std::to_string(code) +
                                               ", got Close " + std::to_string(frame.closeCode()));
        break;
    }
    // What a client does with the server's Close: answer it (which may find the socket gone).
    ws.send(clientClose(code == 1005 ? 1000 : code));
    require(ws.closesWithin(kHangUpTimeout),
            "the server did not close TCP within 1 s of its Close frame");
}

void play(RawWebSocket& ws, const Expect& expect, Stage stage, const std::string& content) {
    switch (expect.kind) {
        case Expect::Kind::Reply:
            if (stage == Stage::BeforeKey)
                expectReady(ws);
            else
                expectEcho(ws, content);
            return;
        case Expect::Kind::Pong: {
            const auto frame = nextFrame(ws, "a Pong");
            require(frame.opcode == kPong && frame.payload == expect.text,
                    "expected a Pong with the Ping's payload, got " + frame.describe());
            return;
        }
        case Expect::Kind::Error:
            if (stage == Stage::BeforeKey) {
                expectText(ws, expect.text);
            } else {
                const auto frame = nextJson(ws, "an error frame");
                require(frame->optValue<std::string>("type", "") == "error" &&
                            frame->optValue<std::string>("code", "") == expect.text,
                        "expected an error frame with code " + expect.text);
            }
            return;
        case Expect::Kind::Close:
        case Expect::Kind::RepliesThenClose:
            expectClose(ws, expect.code, expect.kind == Expect::Kind::RepliesThenClose);
            return;
    }
}

// The end of a case that left the connection open: nothing else was sent before the Pong of
// this Ping, and a Close is answered with the same code and the TCP close.
void closeCleanly(RawWebSocket& ws) {
    require(ws.send(clientFrame(kPing, "end of case")), "the server closed the connection");
    const auto frame = nextFrame(ws, "the Pong that ends the case");
    require(frame.opcode == kPong && frame.payload == "end of case",
            "unexpected frame: " + frame.describe());
    ws.send(clientClose(1000));
    const auto close = nextFrame(ws, "the answer to our Close");
    require(close.opcode == kClose && close.closeCode() == 1000,
            "expected Close 1000, got " + close.describe());
    require(ws.closesWithin(kHangUpTimeout), "the server did not close TCP after the handshake");
}

void secondClientRoundTrips(std::uint16_t port) {
    RawWebSocket ws(port, "/api/echo/ws");
    ws.send(text(kTestKey));
    expectReady(ws);
    ws.send(text(jsonMessage("still here")));
    expectEcho(ws, "still here");
}

}  // namespace

std::string Expect::describe() const {
    switch (kind) {
        case Kind::Reply:
            return "answered";
        case Kind::Pong:
            return text.empty() ? "Pong" : "Pong (" + std::to_string(text.size()) + " B)";
        case Kind::Error:
            return "error `" + text + "`";
        case Kind::Close:
            return "Close " + std::to_string(code) + ", TCP closed";
        case Kind::RepliesThenClose:
            return "answers, Close " + std::to_string(code) + ", TCP closed";
    }
    return "";
}

Expect after(int index, Expect expect) {
    expect.afterChunk = index;
    return expect;
}

Expect reply() {
    return {Expect::Kind::Reply, "", 0};
}
Expect pong(std::string payload) {
    return {Expect::Kind::Pong, std::move(payload), 0};
}
Expect error(std::string code) {
    return {Expect::Kind::Error, std::move(code), 0};
}
Expect closeWith(int code) {
    return {Expect::Kind::Close, "", code};
}
Expect repliesThenClose(int code) {
    return {Expect::Kind::RepliesThenClose, "", code};
}

ConformanceCase both(std::string id, std::string sent,
                     std::function<std::vector<std::string>(const std::string&)> chunks,
                     Expectations expect) {
    ConformanceCase c;
    c.id = std::move(id);
    c.sent = std::move(sent);
    c.chunks = std::move(chunks);
    c.beforeKey = expect;
    c.afterKey = std::move(expect);
    return c;
}

std::string jsonMessage(std::string_view content) {
    std::string out = R"({"content":")";
    for (const char ch : content) {
        const auto byte = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (byte < 0x20) {
            static const char* hex = "0123456789abcdef";
            out += "\\u00";
            out += hex[byte >> 4];
            out += hex[byte & 0xF];
        } else {
            out += ch;
        }
    }
    return out + "\"}";
}

std::string contentForFrameOf(std::size_t bytes) {
    return std::string(bytes - jsonMessage("").size(), '*');
}

std::string text(std::string_view payload, bool fin, int rsv) {
    return clientFrame(kText, payload, fin, rsv);
}
std::string continuation(std::string_view payload, bool fin) {
    return clientFrame(0x0, payload, fin);
}
std::string binary(std::string_view payload, bool fin, int rsv) {
    return clientFrame(kBinary, payload, fin, rsv);
}
std::string ping(std::string_view payload, bool fin, int rsv) {
    return clientFrame(kPing, payload, fin, rsv);
}
std::string pongFrame(std::string_view payload, bool fin) {
    return clientFrame(kPong, payload, fin);
}

std::string fragmented(std::string_view message, std::size_t count) {
    std::string out;
    const std::size_t size = (message.size() + count - 1) / count;
    for (std::size_t i = 0; i < count; ++i) {
        const auto part = message.substr(std::min(i * size, message.size()), size);
        out += clientFrame(i == 0 ? kText : 0x0, part, i + 1 == count);
    }
    return out;
}

std::vector<std::string> pieces(std::string_view bytes, std::size_t size) {
    std::vector<std::string> out;
    for (std::size_t at = 0; at < bytes.size(); at += size)
        out.emplace_back(bytes.substr(at, size));
    return out;
}

std::string runCase(std::uint16_t port, const ConformanceCase& c, Stage stage) {
    const auto& expectations = stage == Stage::BeforeKey ? c.beforeKey : c.afterKey;
    try {
        RawWebSocket ws(port, "/api/echo/ws", c.upgradeHeaders);
        // No extension is negotiated (permessage-deflate offers are declined).
        require(ws.responseHead().find("Sec-WebSocket-Extensions") == std::string::npos,
                "the server accepted an extension: " + ws.responseHead());
        if (stage == Stage::AfterKey) {
            ws.send(text(kTestKey));
            expectReady(ws);
        }
        const std::string message = stage == Stage::AfterKey ? jsonMessage(c.content)
                                                             : c.keyStageMessage.value_or(kTestKey);
        const auto chunks = c.chunks(message);
        std::size_t played = 0;
        bool closed = false;
        for (std::size_t i = 0; i < chunks.size() && !closed; ++i) {
            ws.send(chunks[i], c.chop);
            for (; played < expectations->size() &&
                   (*expectations)[played].afterChunk == static_cast<int>(i);
                 ++played) {
                play(ws, (*expectations)[played], stage, c.content);
                closed = closed || (*expectations)[played].kind == Expect::Kind::Close;
            }
        }
        for (; played < expectations->size(); ++played)
            play(ws, (*expectations)[played], stage, c.content);
        const bool closes =
            !expectations->empty() && (expectations->back().kind == Expect::Kind::Close ||
                                       expectations->back().kind == Expect::Kind::RepliesThenClose);
        if (!closes) closeCleanly(ws);
        secondClientRoundTrips(port);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

void report(const ConformanceCase& c, Stage stage, const std::string& failure) {
    const char* path = std::getenv("AGENTHOST_CONFORMANCE_REPORT");
    if (path == nullptr) return;
    const auto& expectations = stage == Stage::BeforeKey ? c.beforeKey : c.afterKey;
    std::string expected;
    for (const auto& e : *expectations) expected += (expected.empty() ? "" : "; ") + e.describe();
    if (expected.empty()) expected = "nothing";
    std::ofstream(path, std::ios::app)
        << "| " << c.id << " | " << (stage == Stage::BeforeKey ? "before key" : "after key")
        << " | " << c.sent << " | " << expected << " | "
        << (failure.empty() ? "pass" : "FAIL: " + failure) << " |\n";
}

}  // namespace agenthost::test
