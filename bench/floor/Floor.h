// What the floor servers (bench/floor) share: a loopback listener, and what they need of
// WebSocket and of the client's frames, no more: they trust their client, the benchmark's own.
// Not a codec for anything else.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace agenthost::bench::floor {

// The 101 answer to an upgrade request whose head is `head`: its Sec-WebSocket-Accept is the
// SHA-1 of the client's key (clients such as Poco's check it).
inline std::string upgradeAnswer(std::string_view head) {
    constexpr std::string_view kKeyHeader = "Sec-WebSocket-Key:";
    std::string key;
    if (const auto at = head.find(kKeyHeader); at != std::string_view::npos) {
        auto value = head.substr(at + kKeyHeader.size());
        value = value.substr(0, value.find("\r\n"));
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        key = value;
    }
    key += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    ::SHA1(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
    unsigned char accept[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
    ::EVP_EncodeBlock(accept, digest, SHA_DIGEST_LENGTH);
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Accept: " +
           std::string(reinterpret_cast<const char*>(accept)) + "\r\n\r\n";
}

inline void appendTextFrame(std::string& out, std::string_view payload) {
    out += static_cast<char>(0x81);
    if (payload.size() < 126) {
        out += static_cast<char>(payload.size());
    } else {
        out += static_cast<char>(126);
        out += static_cast<char>(payload.size() >> 8);
        out += static_cast<char>(payload.size() & 0xff);
    }
    out += payload;
}

// The answers to the key: protocol 1's "authenticated" and a ready frame.
inline void appendAuthenticated(std::string& out) {
    appendTextFrame(out, "authenticated");
    appendTextFrame(out, R"({"type":"ready","conversation_id":"floor"})");
}

// A message frame whose content is `jsonString`, a JSON string with its quotes, as it came.
inline void appendMessageFrame(std::string& out, std::string_view jsonString) {
    std::string message = R"({"type":"message","content":)";
    message += jsonString;
    message += '}';
    appendTextFrame(out, message);
}

inline void appendCompleteFrame(std::string& out) {
    appendTextFrame(out, R"({"type":"complete"})");
}

// The JSON string value of `key` in `json`, quotes included, as it came ("" when absent).
inline std::string_view jsonStringValue(std::string_view json, std::string_view key) {
    const std::string quoted = "\"" + std::string(key) + "\"";
    const auto at = json.find(quoted);
    if (at == std::string_view::npos) return "\"\"";
    const auto open = json.find('"', json.find(':', at));
    if (open == std::string_view::npos) return "\"\"";
    auto close = open + 1;
    while (close < json.size() && json[close] != '"') close += json[close] == '\\' ? 2 : 1;
    return json.substr(open, close - open + 1);
}

struct ClientFrame {
    unsigned opcode = 0;
    std::string payload;  // unmasked
};

// Decodes the first whole frame of `in` into `frame`: the bytes it took, 0 when the frame is not
// whole yet, or -1 for a frame these servers do not take (unmasked, or 64-bit length).
inline long decodeFrame(std::string_view in, ClientFrame& frame) {
    if (in.size() < 2) return 0;
    const auto* bytes = reinterpret_cast<const unsigned char*>(in.data());
    std::size_t length = bytes[1] & 0x7f, header = 2;
    if (length == 127 || !(bytes[1] & 0x80)) return -1;
    if (length == 126) {
        if (in.size() < 4) return 0;
        length = (std::size_t{bytes[2]} << 8) | bytes[3];
        header = 4;
    }
    if (in.size() < header + 4 + length) return 0;
    const unsigned char* mask = bytes + header;
    frame.opcode = bytes[0] & 0x0f;
    frame.payload.resize(length);
    for (std::size_t i = 0; i < length; ++i)
        frame.payload[i] = static_cast<char>(bytes[header + 4 + i] ^ mask[i % 4]);
    return static_cast<long>(header + 4 + length);
}

// A listening socket on 127.0.0.1:port (0: any free port), its port printed as "port=N" on
// standard output; -1 on failure (with the reason on standard error).
inline int listenOnLoopback(int port, int flags = 0) {
    const int listener = ::socket(AF_INET, SOCK_STREAM | flags, 0);
    const int yes = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        ::listen(listener, 4096) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
        std::perror("floor: listen");
        return -1;
    }
    std::printf("port=%d\n", ntohs(address.sin_port));
    std::fflush(stdout);
    return listener;
}

}  // namespace agenthost::bench::floor
