// The RFC 6455 cases of the Autobahn testsuite (fuzzingclient, sections 1 to 10), one table row
// each, played against the real agenthost binary before the key frame and after it (see
// ConformanceCase.h for how an echo case becomes a key or a message for the echo plugin).
// One host serves a whole section: every case opens its own connection, and a second client
// round-trips after each, so a case that breaks the host fails the cases that follow.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "ConformanceCase.h"
#include "RawWebSocket.h"
#include "Utf8Vectors.h"
#include "support/HostProcess.h"

namespace agenthost::test {
namespace {

using Chunks = std::vector<std::string>;

const std::string kWrongKey = "error:invalid_api_key";
constexpr std::size_t kLimit = 65536;  // max_message_bytes (its default)

// What a frame that is not a key gets before the key, and a binary frame after it.
ConformanceCase binaryCase(std::string id, std::string sent,
                           std::function<Chunks(const std::string&)> chunks) {
    ConformanceCase c;
    c.id = std::move(id);
    c.sent = std::move(sent);
    c.chunks = std::move(chunks);
    c.beforeKey = Expectations{error(kWrongKey), closeWith(1008)};
    c.afterKey = Expectations{error("unsupported_frame")};
    return c;
}

// A row run only after the key (its message has a size or content the key cannot have).
ConformanceCase afterKeyOnly(std::string id, std::string sent, std::string content,
                             std::function<Chunks(const std::string&)> chunks,
                             Expectations expect) {
    ConformanceCase c;
    c.id = std::move(id);
    c.sent = std::move(sent);
    c.content = std::move(content);
    c.chunks = std::move(chunks);
    c.afterKey = std::move(expect);
    return c;
}

Chunks one(std::string bytes) {
    return {std::move(bytes)};
}

std::string kib(std::size_t bytes) {
    return bytes % 1024 == 0 ? std::to_string(bytes / 1024) + " KiB" : std::to_string(bytes) + " B";
}

std::vector<ConformanceCase> framingCases() {
    std::vector<ConformanceCase> cases;
    {
        ConformanceCase c =
            both("1.1.1", "empty text frame", [](const std::string&) { return one(text("")); }, {});
        c.beforeKey = Expectations{error(kWrongKey), closeWith(1008)};
        c.afterKey = Expectations{error("invalid_message")};  // not JSON
        cases.push_back(c);
    }
    const std::pair<const char*, std::size_t> sizes[] = {{"1.1.2", 125},   {"1.1.3", 126},
                                                         {"1.1.4", 127},   {"1.1.5", 128},
                                                         {"1.1.6", 65535}, {"1.1.7", 65536}};
    for (const auto& [id, size] : sizes)
        cases.push_back(afterKeyOnly(id, "text frame of " + std::to_string(size) + " B",
                                     contentForFrameOf(size),
                                     [](const std::string& m) { return one(text(m)); }, {reply()}));
    {
        auto c = afterKeyOnly("1.1.8", "text frame of 65536 B written in chops of 997 B",
                              contentForFrameOf(65536),
                              [](const std::string& m) { return one(text(m)); }, {reply()});
        c.chop = 997;
        cases.push_back(c);
    }
    const std::pair<const char*, std::size_t> binarySizes[] = {
        {"1.2.1", 0},   {"1.2.2", 125},   {"1.2.3", 126},  {"1.2.4", 127},
        {"1.2.5", 128}, {"1.2.6", 65535}, {"1.2.7", 65536}};
    for (const auto& [id, size] : binarySizes) {
        const std::size_t n = size;
        cases.push_back(
            binaryCase(id, "binary frame of " + std::to_string(n) + " B",
                       [n](const std::string&) { return one(binary(std::string(n, '\xfe'))); }));
    }
    {
        auto c =
            binaryCase("1.2.8", "binary frame of 65536 B written in chops of 997 B",
                       [](const std::string&) { return one(binary(std::string(65536, '\xfe'))); });
        c.chop = 997;
        cases.push_back(c);
    }
    return cases;
}

std::vector<ConformanceCase> pingCases() {
    const std::string bytes = "\x00\xff\xfe\xfd\xfc\xfb\x00\xff";
    const std::string binaryPayload(bytes.data(), 8);
    const std::string max(125, '\xfe');
    std::vector<ConformanceCase> cases = {
        both("2.1", "Ping without payload", [](const std::string&) { return one(ping("")); },
             {pong("")}),
        both("2.2", "Ping with a text payload",
             [](const std::string&) { return one(ping("Hello, world!")); },
             {pong("Hello, world!")}),
        both("2.3", "Ping with a binary payload",
             [binaryPayload](const std::string&) { return one(ping(binaryPayload)); },
             {pong(binaryPayload)}),
        both("2.4", "Ping with 125 B payload", [max](const std::string&) { return one(ping(max)); },
             {pong(max)}),
        both("2.5", "Ping with 126 B payload (too long for a control frame)",
             [](const std::string&) { return one(ping(std::string(126, '\xfe'))); },
             {closeWith(1002)}),
        both("2.7", "unsolicited Pong without payload",
             [](const std::string&) { return one(pongFrame("")); }, {}),
        both("2.8", "unsolicited Pong with payload",
             [](const std::string&) { return one(pongFrame("unsolicited pong payload")); }, {}),
        both("2.9", "unsolicited Pong, then Ping",
             [](const std::string&) {
                 return one(pongFrame("unsolicited pong payload") + ping("ping payload"));
             },
             {pong("ping payload")}),
    };
    {
        auto c = both("2.6", "Ping with 125 B payload written 1 B at a time",
                      [max](const std::string&) { return one(ping(max)); }, {pong(max)});
        c.chop = 1;
        cases.insert(cases.begin() + 5, c);
    }
    std::string tenPings;
    Expectations tenPongs;
    for (int i = 0; i < 10; ++i) {
        tenPings += ping("payload-" + std::to_string(i));
        tenPongs.push_back(pong("payload-" + std::to_string(i)));
    }
    cases.push_back(both(
        "2.10", "10 Pings", [tenPings](const std::string&) { return one(tenPings); }, tenPongs));
    auto chopped = both(
        "2.11", "10 Pings written 1 B at a time",
        [tenPings](const std::string&) { return one(tenPings); }, tenPongs);
    chopped.chop = 1;
    cases.push_back(chopped);
    // Our own: a Ping between the message and the end is answered after the message.
    cases.push_back(both("2.12x", "message, then Ping in the same write",
                         [](const std::string& m) { return one(text(m) + ping("after")); },
                         {reply(), pong("after")}));
    return cases;
}

// The reserved bits as Autobahn numbers them: the 3-bit field RSV1 RSV2 RSV3, so RSV = 1 is RSV3
// alone and RSV = 4 is RSV1 alone; each case sets another combination.
std::vector<ConformanceCase> reservedBitCases() {
    return {
        both("3.1", "text frame with RSV = 1",
             [](const std::string& m) { return one(text(m, true, 1)); }, {closeWith(1002)}),
        both("3.2", "message, text frame with RSV = 2, Ping (one write)",
             [](const std::string& m) { return one(text(m) + text(m, true, 2) + ping("")); },
             {repliesThenClose(1002)}),
        both("3.3", "message, then (after its answer) text frame with RSV = 3, Ping",
             [](const std::string& m) {
                 return Chunks{text(m), text(m, true, 3) + ping("")};
             },
             {after(0, reply()), closeWith(1002)}),
        both("3.4", "message, then (after its answer) text frame with RSV = 4, Ping",
             [](const std::string& m) {
                 return Chunks{text(m), text(m, true, 4) + ping("")};
             },
             {after(0, reply()), closeWith(1002)}),
        both("3.5", "binary frame with RSV = 5",
             [](const std::string&) { return one(binary("\xff", true, 5)); }, {closeWith(1002)}),
        both("3.6", "Ping with RSV = 6",
             [](const std::string&) { return one(ping("ping", true, 6)); }, {closeWith(1002)}),
        both("3.7", "Close with RSV = 7",
             [](const std::string&) { return one(clientFrame(8, "\x03\xe8", true, 7)); },
             {closeWith(1002)}),
    };
}

std::vector<ConformanceCase> opcodeCases() {
    std::vector<ConformanceCase> cases;
    const struct {
        const char* id;
        int opcode;
        bool payload;
        bool afterMessage;
    } rows[] = {{"4.1.1", 3, false, false}, {"4.1.2", 4, true, false},  {"4.1.3", 5, false, true},
                {"4.1.4", 6, true, true},   {"4.1.5", 7, true, true},   {"4.2.1", 11, false, false},
                {"4.2.2", 12, true, false}, {"4.2.3", 13, false, true}, {"4.2.4", 14, true, true},
                {"4.2.5", 15, true, true}};
    for (const auto& row : rows) {
        const int opcode = row.opcode;
        const std::string payload = row.payload ? "reserved opcode payload" : "";
        std::string sent = "frame with reserved opcode " + std::to_string(opcode) +
                           (row.payload ? " and payload" : "");
        if (row.afterMessage) {
            cases.push_back(
                both(row.id, "message, then (after its answer) " + sent + ", Ping",
                     [opcode, payload](const std::string& m) {
                         return Chunks{text(m), clientFrame(opcode, payload) + ping("")};
                     },
                     {after(0, reply()), closeWith(1002)}));
        } else {
            cases.push_back(both(
                row.id, sent,
                [opcode, payload](const std::string&) { return one(clientFrame(opcode, payload)); },
                {closeWith(1002)}));
        }
    }
    return cases;
}

// The message in two fragments.
std::string firstHalf(const std::string& m) {
    return m.substr(0, m.size() / 2);
}
std::string secondHalf(const std::string& m) {
    return m.substr(m.size() / 2);
}

std::vector<ConformanceCase> fragmentationCases() {
    std::vector<ConformanceCase> cases = {
        both("5.1", "Ping in 2 fragments",
             [](const std::string&) { return one(ping("ping", false) + continuation("payload")); },
             {closeWith(1002)}),
        both("5.2", "Pong in 2 fragments",
             [](const std::string&) {
                 return one(pongFrame("pong", false) + continuation("payload"));
             },
             {closeWith(1002)}),
        both("5.2.1x", "Close in 2 fragments",
             [](const std::string&) {
                 return one(clientFrame(8, "\x03", false) + continuation("\xe8"));
             },
             {closeWith(1002)}),
        both("5.3", "message in 2 fragments",
             [](const std::string& m) { return one(fragmented(m, 2)); }, {reply()}),
        both("5.4", "message in 2 fragments, each in a write of its own",
             [](const std::string& m) {
                 return Chunks{text(firstHalf(m), false), continuation(secondHalf(m))};
             },
             {reply()}),
    };
    {
        auto c = both("5.5", "message in 2 fragments written 1 B at a time",
                      [](const std::string& m) { return one(fragmented(m, 2)); }, {reply()});
        c.chop = 1;
        cases.push_back(c);
    }
    const auto withPing = [](const std::string& m) {
        return Chunks{text(firstHalf(m), false), ping("ping payload"), continuation(secondHalf(m))};
    };
    cases.push_back(both("5.6", "message in 2 fragments, Ping between (one write)",
                         [withPing](const std::string& m) {
                             const auto parts = withPing(m);
                             return one(parts[0] + parts[1] + parts[2]);
                         },
                         {pong("ping payload"), reply()}));
    cases.push_back(both("5.7", "message in 2 fragments, Ping between, each in a write of its own",
                         withPing, {after(1, pong("ping payload")), reply()}));
    {
        auto c = both("5.8", "message in 2 fragments, Ping between, written 1 B at a time",
                      withPing, {after(1, pong("ping payload")), reply()});
        c.chop = 1;
        cases.push_back(c);
    }
    const auto orphan = [](bool fin) {
        return [fin](const std::string& m) {
            return Chunks{continuation("non-continuation payload", fin), text(m)};
        };
    };
    const struct {
        const char* id;
        bool fin;
        int mode;  // 0: one write, 1: a write per frame, 2: 1 B at a time
    } orphans[] = {{"5.9", true, 0},   {"5.10", true, 1},  {"5.11", true, 2},
                   {"5.12", false, 0}, {"5.13", false, 1}, {"5.14", false, 2}};
    for (const auto& row : orphans) {
        const bool fin = row.fin;
        const int mode = row.mode;
        const char* how[] = {"", ", a write per frame", ", written 1 B at a time"};
        auto c = both(row.id,
                      std::string("continuation (FIN ") + (fin ? "set" : "clear") +
                          ") with nothing to continue, then a message" + how[mode],
                      [orphan, fin, mode](const std::string& m) {
                          auto parts = orphan(fin)(m);
                          return mode == 1 ? parts : one(parts[0] + parts[1]);
                      },
                      {after(0, closeWith(1002))});
        if (mode == 2) c.chop = 1;
        cases.push_back(c);
    }
    cases.push_back(
        both("5.15",
             "message in 2 fragments, continuation (FIN clear) with nothing to continue, message",
             [](const std::string& m) {
                 return one(fragmented(m, 2) + continuation("fragment3", false) + text(m));
             },
             {repliesThenClose(1002)}));
    cases.push_back(both(
        "5.16", "2x: continuation (FIN clear) with nothing to continue, message in 2 fragments",
        [](const std::string& m) {
            const auto round = continuation("fragment1", false) + fragmented(m, 2);
            return one(round + round);
        },
        {closeWith(1002)}));
    cases.push_back(
        both("5.17", "2x: continuation (FIN set) with nothing to continue, message in 2 fragments",
             [](const std::string& m) {
                 const auto round = continuation("fragment1", true) + fragmented(m, 2);
                 return one(round + round);
             },
             {closeWith(1002)}));
    cases.push_back(both(
        "5.18", "message in 2 fragments, both with the text opcode",
        [](const std::string& m) { return one(text(firstHalf(m), false) + text(secondHalf(m))); },
        {closeWith(1002)}));
    const auto fiveWithPings = [](const std::string& m) {
        const std::size_t n = (m.size() + 4) / 5;
        const auto part = [&](std::size_t i) { return m.substr(std::min(i * n, m.size()), n); };
        return Chunks{text(part(0), false),         continuation(part(1), false), ping("pongme 1!"),
                      continuation(part(2), false), continuation(part(3), false), ping("pongme 2!"),
                      continuation(part(4))};
    };
    cases.push_back(
        both("5.19", "message in 5 fragments with 2 Pings between, each in a write of its own",
             fiveWithPings, {after(2, pong("pongme 1!")), after(5, pong("pongme 2!")), reply()}));
    cases.push_back(both("5.20", "message in 5 fragments with 2 Pings between (one write)",
                         [fiveWithPings](const std::string& m) {
                             std::string all;
                             for (const auto& part : fiveWithPings(m)) all += part;
                             return one(all);
                         },
                         {pong("pongme 1!"), pong("pongme 2!"), reply()}));
    return cases;
}

std::string bytesOf(std::initializer_list<int> values) {
    std::string out;
    for (const int v : values) out.push_back(static_cast<char>(v));
    return out;
}

// Each byte of `payload` as a fragment of its own, each fragment a write of its own.
Chunks octetFragments(const std::string& payload) {
    Chunks out;
    for (std::size_t i = 0; i < payload.size(); ++i)
        out.push_back(clientFrame(i == 0 ? 1 : 0, payload.substr(i, 1), i + 1 == payload.size()));
    return out;
}

std::vector<ConformanceCase> utf8Cases() {
    std::vector<ConformanceCase> cases;
    {
        auto c =
            both("6.1.1", "empty text frame", [](const std::string&) { return one(text("")); }, {});
        c.beforeKey = Expectations{error(kWrongKey), closeWith(1008)};
        c.afterKey = Expectations{error("invalid_message")};
        cases.push_back(c);
        c.id = "6.1.2";
        c.sent = "empty text message in 3 empty fragments";
        c.chunks = [](const std::string&) {
            return one(text("", false) + continuation("", false) + continuation(""));
        };
        cases.push_back(c);
    }
    cases.push_back(both("6.1.3", "message in 3 fragments, the first and last empty",
                         [](const std::string& m) {
                             return one(text("", false) + continuation(m, false) +
                                        continuation(""));
                         },
                         {reply()}));
    const std::string hello =
        "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!";
    const std::string kosme =
        bytesOf({0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5});
    {
        auto c = afterKeyOnly("6.2.1", "valid UTF-8 message in one frame", hello,
                              [](const std::string& m) { return one(text(m)); }, {reply()});
        cases.push_back(c);
        c.id = "6.2.2";
        c.sent = "valid UTF-8 message in 2 fragments split at a code point boundary";
        c.chunks = [](const std::string& m) {
            const auto at = m.find('@');
            return one(text(m.substr(0, at), false) + continuation(m.substr(at)));
        };
        cases.push_back(c);
        c.id = "6.2.3";
        c.sent = "valid UTF-8 message, one byte per fragment (code points split)";
        c.chunks = [](const std::string& m) {
            std::string all;
            for (const auto& part : octetFragments(m)) all += part;
            return one(all);
        };
        cases.push_back(c);
        c.id = "6.2.4";
        c.content = kosme;
        c.sent = "valid UTF-8 message (κόσμε), one byte per fragment";
        cases.push_back(c);
    }
    const std::string invalid = kosme + bytesOf({0xed, 0xa0, 0x80}) + "edited";
    cases.push_back(both("6.3.1", "invalid UTF-8 (a surrogate) in one frame",
                         [invalid](const std::string&) { return one(text(invalid)); },
                         {closeWith(1007)}));
    cases.push_back(both("6.3.2", "the same, one byte per fragment, each in a write of its own",
                         [invalid](const std::string&) { return octetFragments(invalid); },
                         {after(12, closeWith(1007))}));
    const std::string part3 = "edited";
    cases.push_back(
        both("6.4.1",
             "3 fragments: valid, F4 90 80 80 (above U+10FFFF), valid; each in a write of its own",
             [kosme, part3](const std::string&) {
                 return Chunks{text(kosme, false),
                               continuation(bytesOf({0xf4, 0x90, 0x80, 0x80}), false),
                               continuation(part3)};
             },
             {after(1, closeWith(1007))}));
    cases.push_back(both("6.4.2",
                         "3 fragments: valid + F4, 90, 80 80 + valid; each in a write of its own",
                         [kosme, part3](const std::string&) {
                             return Chunks{text(kosme + "\xf4", false), continuation("\x90", false),
                                           continuation("\x80\x80" + part3)};
                         },
                         {after(1, closeWith(1007))}));
    const std::string whole = kosme + bytesOf({0xf4, 0x90, 0x80, 0x80}) + part3;
    cases.push_back(both("6.4.3", "one frame in 3 writes: header + valid, F4 90 80 80, rest",
                         [whole](const std::string&) {
                             const auto frame = text(whole);
                             const std::size_t header = frame.size() - whole.size();
                             return Chunks{frame.substr(0, header + 11),
                                           frame.substr(header + 11, 4), frame.substr(header + 15)};
                         },
                         {after(1, closeWith(1007))}));
    cases.push_back(both("6.4.4", "one frame in 3 writes: header + valid + F4, 90, rest",
                         [whole](const std::string&) {
                             const auto frame = text(whole);
                             const std::size_t header = frame.size() - whole.size();
                             return Chunks{frame.substr(0, header + 12),
                                           frame.substr(header + 12, 1), frame.substr(header + 13)};
                         },
                         {after(1, closeWith(1007))}));
    for (const auto& group : utf8Groups()) {
        int index = 1;
        for (const auto& vector : group.vectors) {
            ConformanceCase c;
            c.id = "6." + std::to_string(group.number) + "." + std::to_string(index++);
            c.sent = (vector.valid ? "valid: " : "invalid: ") + hexBytes(vector.bytes);
            const std::string bytes = vector.bytes;
            if (vector.valid) {
                // After the key the bytes are the content of a message; before it, the key frame.
                c.content = bytes;
                c.keyStageMessage = bytes;
                c.chunks = [](const std::string& m) { return one(text(m)); };
                c.beforeKey = Expectations{error(kWrongKey), closeWith(1008)};
                c.afterKey = Expectations{reply()};
            } else {
                c.chunks = [bytes](const std::string&) { return one(text(bytes)); };
                c.beforeKey = c.afterKey = Expectations{closeWith(1007)};
            }
            cases.push_back(c);
        }
    }
    // Our own: the invalid sequence in the middle of a message's content, as JSON would carry it.
    cases.push_back(afterKeyOnly(
        "6.24x", "a JSON message whose content has a lone surrogate", "x",
        [](const std::string&) { return one(text("{\"content\":\"ab\xed\xa0\x80\"}")); },
        {closeWith(1007)}));
    return cases;
}

std::vector<ConformanceCase> closeCases() {
    std::vector<ConformanceCase> cases = {
        both("7.1.1", "message, then Close 1000",
             [](const std::string& m) {
                 return Chunks{text(m), clientClose(1000)};
             },
             {after(0, reply()), closeWith(1000)}),
        both("7.1.2", "Close 1000 twice",
             [](const std::string&) { return one(clientClose(1000) + clientClose(1000)); },
             {closeWith(1000)}),
        both("7.1.3", "Close 1000, then Ping",
             [](const std::string&) { return one(clientClose(1000) + ping("")); },
             {closeWith(1000)}),
        both("7.1.4", "Close 1000, then a message",
             [](const std::string& m) { return one(clientClose(1000) + text(m)); },
             {closeWith(1000)}),
        both("7.1.5", "first fragment, Close 1000, last fragment",
             [](const std::string& m) {
                 return one(text(firstHalf(m), false) + clientClose(1000) +
                            continuation(secondHalf(m)));
             },
             {closeWith(1000)}),
        both("7.3.1", "Close without payload",
             [](const std::string&) { return one(clientFrame(8, "")); }, {closeWith(1000)}),
        both("7.3.2", "Close with a 1 B payload",
             [](const std::string&) { return one(clientFrame(8, "\x03")); }, {closeWith(1002)}),
        both("7.3.3", "Close 1000 without reason",
             [](const std::string&) { return one(clientClose(1000)); }, {closeWith(1000)}),
        both("7.3.4", "Close 1000 with a reason",
             [](const std::string&) { return one(clientClose(1000, "Hello World!")); },
             {closeWith(1000)}),
        both("7.3.5", "Close 1000 with a 123 B reason (125 B payload)",
             [](const std::string&) { return one(clientClose(1000, std::string(123, '*'))); },
             {closeWith(1000)}),
        both("7.3.6", "Close 1000 with a 124 B reason (126 B payload)",
             [](const std::string&) { return one(clientClose(1000, std::string(124, '*'))); },
             {closeWith(1002)}),
        both("7.5.1", "Close 1000 with invalid UTF-8 in the reason",
             [](const std::string&) {
                 return one(clientClose(1000,
                                        "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"
                                        "\x65\x64\x69\x74\x65\x64"));
             },
             {closeWith(1007)}),
    };
    {
        // 7.1.6: a large message, Close, Ping: the answer may or may not come before the Close.
        auto c = afterKeyOnly(
            "7.1.6", "64 KiB message, Close 1000, Ping (one write)", contentForFrameOf(kLimit),
            [](const std::string& m) { return one(text(m) + clientClose(1000) + ping("")); },
            {repliesThenClose(1000)});
        c.beforeKey = Expectations{closeWith(1000)};  // the key frame is answered before the Close
        c.beforeKey = Expectations{repliesThenClose(1000)};
        cases.push_back(c);
    }
    const int valid[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009,
                         1010, 1011, 3000, 3999, 4000, 4999};
    int index = 1;
    for (const int code : valid)
        cases.push_back(both("7.7." + std::to_string(index++), "Close " + std::to_string(code),
                             [code](const std::string&) { return one(clientClose(code)); },
                             {closeWith(code)}));
    for (const int code : {1012, 1013, 1014})  // registered with IANA after RFC 6455
        cases.push_back(
            both("7.7." + std::to_string(index++) + "x", "Close " + std::to_string(code),
                 [code](const std::string&) { return one(clientClose(code)); }, {closeWith(code)}));
    const int invalidCodes[] = {0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999};
    index = 1;
    for (const int code : invalidCodes)
        cases.push_back(both("7.9." + std::to_string(index++),
                             "Close " + std::to_string(code) + " (not a code a peer may send)",
                             [code](const std::string&) { return one(clientClose(code)); },
                             {closeWith(1002)}));
    cases.push_back(both("7.9.10x", "Close 1015 (TLS failure: never sent)",
                         [](const std::string&) { return one(clientClose(1015)); },
                         {closeWith(1002)}));
    cases.push_back(both("7.13.1", "Close 5000",
                         [](const std::string&) { return one(clientClose(5000)); },
                         {closeWith(1002)}));
    cases.push_back(both("7.13.2", "Close 65535",
                         [](const std::string&) { return one(clientClose(65535)); },
                         {closeWith(1002)}));
    return cases;
}

std::vector<ConformanceCase> limitCases() {
    std::vector<ConformanceCase> cases;
    cases.push_back(afterKeyOnly("9.1.1", "text message of 64 KiB (max_message_bytes) in one frame",
                                 contentForFrameOf(kLimit),
                                 [](const std::string& m) { return one(text(m)); }, {reply()}));
    cases.push_back(both("9.1.1x", "text frame of 64 KiB + 1 B",
                         [](const std::string&) { return one(text(std::string(kLimit + 1, '*'))); },
                         {closeWith(1009)}));
    const std::pair<const char*, std::uint64_t> large[] = {{"9.1.2", 256u << 10},
                                                           {"9.1.3", 1u << 20},
                                                           {"9.1.4", 4u << 20},
                                                           {"9.1.5", 8u << 20},
                                                           {"9.1.6", 16u << 20}};
    for (const auto& [id, size] : large) {
        const std::uint64_t n = size;
        cases.push_back(both(
            id,
            "header of a " + kib(n) + " text frame and its first 1000 B (refused from the header)",
            [n](const std::string&) {
                return one(clientFrameHeader(1, n, std::string(1000, '*')));
            },
            {closeWith(1009)}));
        std::string binaryId = id;
        binaryId[2] = '2';
        cases.push_back(both(binaryId,
                             "header of a " + kib(n) + " binary frame and its first 1000 B",
                             [n](const std::string&) {
                                 return one(clientFrameHeader(2, n, std::string(1000, '*')));
                             },
                             {closeWith(1009)}));
    }
    cases.push_back(binaryCase("9.2.1", "binary message of 64 KiB", [](const std::string&) {
        return one(binary(std::string(kLimit, '\xfe')));
    }));
    const std::size_t fragmentSizes[] = {64, 256, 1024, 4096, 16384, 65536};
    int index = 1;
    for (const std::size_t size : fragmentSizes) {
        const std::size_t n = size;
        cases.push_back(afterKeyOnly(
            "9.3." + std::to_string(index), "64 KiB text message in fragments of " + kib(n),
            contentForFrameOf(kLimit),
            [n](const std::string& m) { return one(fragmented(m, m.size() / n)); }, {reply()}));
        cases.push_back(binaryCase(
            "9.4." + std::to_string(index), "64 KiB binary message in fragments of " + kib(n),
            [n](const std::string&) {
                std::string all;
                for (std::size_t at = 0; at < kLimit; at += n)
                    all += clientFrame(at == 0 ? 2 : 0, std::string(n, '\xfe'), at + n >= kLimit);
                return one(all);
            }));
        ++index;
    }
    cases.push_back(afterKeyOnly(
        "9.3.7x", "text message of 64 KiB + 1 B in fragments of 4 KiB", "x",
        [](const std::string&) { return one(fragmented(std::string(kLimit + 1, '*'), 17)); },
        {closeWith(1009)}));
    const std::size_t chops[] = {64, 128, 256, 512, 1024, 2048};
    index = 1;
    for (const std::size_t chop : chops) {
        auto c = afterKeyOnly("9.5." + std::to_string(index),
                              "64 KiB text message written in chops of " + kib(chop),
                              contentForFrameOf(kLimit),
                              [](const std::string& m) { return one(text(m)); }, {reply()});
        c.chop = chop;
        cases.push_back(c);
        auto b =
            binaryCase("9.6." + std::to_string(index),
                       "64 KiB binary message written in chops of " + kib(chop),
                       [](const std::string&) { return one(binary(std::string(kLimit, '\xfe'))); });
        b.chop = chop;
        cases.push_back(b);
        ++index;
    }
    const std::size_t roundTripSizes[] = {16, 64, 256, 1024, 4096};
    index = 2;
    for (const std::size_t size : roundTripSizes) {
        constexpr int kCount = 100;
        Expectations replies;
        for (int i = 0; i < kCount; ++i) replies.push_back(after(i, reply()));
        cases.push_back(afterKeyOnly(
            "9.7." + std::to_string(index),
            std::to_string(kCount) + " text messages of " + kib(size) +
                ", each sent once the last is answered",
            std::string(size, '*'), [](const std::string& m) { return Chunks(kCount, text(m)); },
            replies));
        Expectations errors(kCount, error("unsupported_frame"));
        auto b = binaryCase("9.8." + std::to_string(index),
                            std::to_string(kCount) + " binary messages of " + kib(size),
                            [size](const std::string&) {
                                return Chunks(kCount, binary(std::string(size, '\xfe')));
                            });
        b.afterKey = errors;
        cases.push_back(b);
        ++index;
    }
    return cases;
}

std::vector<ConformanceCase> miscCases() {
    std::vector<ConformanceCase> cases = {
        afterKeyOnly(
            "10.1.1", "64 KiB text message in fragments of 1300 B", contentForFrameOf(kLimit),
            [](const std::string& m) { return one(fragmented(m, (m.size() + 1299) / 1300)); },
            {reply()}),
        both("10.2x", "unmasked text frame (RFC 6455 5.1)",
             [](const std::string& m) {
                 std::string frame(1, '\x81');
                 frame.push_back(static_cast<char>(m.size()));
                 return one(frame + m);
             },
             {closeWith(1002)}),
        both("10.3x", "64-bit length with its most significant bit set (RFC 6455 5.2)",
             [](const std::string&) {
                 return one(clientFrameHeader(1, 0x8000000000000005ull, "hello"));
             },
             {closeWith(1002)}),
    };
    return cases;
}

class Autobahn : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        HostConfig config;
        config.server["auth_failures_per_minute"] = "0";  // cases send wrong keys on purpose
        host_ = new HostProcess(config);
    }
    static void TearDownTestSuite() {
        delete host_;
        host_ = nullptr;
    }

    static void runAll(const std::vector<ConformanceCase>& cases) {
        for (const auto& c : cases)
            for (const Stage stage : {Stage::BeforeKey, Stage::AfterKey}) {
                if (!(stage == Stage::BeforeKey ? c.beforeKey : c.afterKey)) continue;
                const auto failure = runCase(host_->port(), c, stage);
                report(c, stage, failure);
                EXPECT_EQ(failure, "")
                    << "case " << c.id << " (" << (stage == Stage::BeforeKey ? "before" : "after")
                    << " the key): " << c.sent;
            }
    }

    static HostProcess* host_;
};

HostProcess* Autobahn::host_ = nullptr;

TEST_F(Autobahn, Section1Framing) {
    runAll(framingCases());
}
TEST_F(Autobahn, Section2PingsAndPongs) {
    runAll(pingCases());
}
TEST_F(Autobahn, Section3ReservedBits) {
    runAll(reservedBitCases());
}
TEST_F(Autobahn, Section4Opcodes) {
    runAll(opcodeCases());
}
TEST_F(Autobahn, Section5Fragmentation) {
    runAll(fragmentationCases());
}
TEST_F(Autobahn, Section6Utf8) {
    runAll(utf8Cases());
}
TEST_F(Autobahn, Section7Close) {
    runAll(closeCases());
}
TEST_F(Autobahn, Section9Limits) {
    runAll(limitCases());
}
TEST_F(Autobahn, Section10Misc) {
    runAll(miscCases());
}

// 12.x and 13.x: permessage-deflate. The server does not negotiate it: an offer gets a 101
// without Sec-WebSocket-Extensions, the connection then speaks plain frames, and a frame with
// RSV1 (a compressed one) is refused as for any other client.
TEST_F(Autobahn, Sections12And13DeflateDeclined) {
    const std::string offer =
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
    ConformanceCase declined =
        both("12.x, 13.x", "permessage-deflate offered on the upgrade, then a plain message",
             [](const std::string& m) { return one(text(m)); }, {reply()});
    declined.upgradeHeaders = offer;
    ConformanceCase compressed =
        both("12.x, 13.x",
             "permessage-deflate offered on the upgrade, then a frame with RSV1 (compressed)",
             [](const std::string& m) { return one(text(m, true, 4)); }, {closeWith(1002)});
    compressed.upgradeHeaders = offer;
    runAll({declined, compressed});
}

}  // namespace
}  // namespace agenthost::test
