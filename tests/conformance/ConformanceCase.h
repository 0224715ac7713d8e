// One RFC 6455 conformance case as a table row (its Autobahn testsuite number, the bytes it
// sends, the frames the server must answer with), and the runner that plays it against a host.
//
// The host is not an echo server: where Autobahn expects its message echoed, the case sends
// the key (before authentication) or a JSON message frame {"content":...} (after it) in the
// case's framing, and expects `authenticated` and the ready frame, or the echo plugin's
// message frames carrying the content and its complete frame.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agenthost::test {

enum class Stage { BeforeKey, AfterKey };

// One thing the server must send, in order.
struct Expect {
    enum class Kind {
        Reply,  // the message answered (see above)
        Pong,   // a Pong carrying `text`
        Error,  // after the key: an error frame with code `text`; before: the text frame `text`
        Close,  // a Close with `code`, then TCP closed
        RepliesThenClose,  // any number of answer frames, then a Close with `code` and TCP closed
    } kind;
    std::string text;
    int code = 0;
    // Played once the chunk with this index is sent, before the next ones are (-1: once all
    // are). After a Close expected there, the rest is never sent: the server failed fast.
    int afterChunk = -1;
    std::string describe() const;
};

// `expect`, played once chunk `index` is sent.
Expect after(int index, Expect expect);

Expect reply();
Expect pong(std::string payload);
Expect error(std::string code);
Expect closeWith(int code);
Expect repliesThenClose(int code);

using Expectations = std::vector<Expect>;

struct ConformanceCase {
    std::string id;    // the Autobahn case number; an "x" suffix marks a case of our own
    std::string sent;  // what is sent, for docs/websocket-conformance.md
    // The bytes to send, in writes of their own, made from the stage's message (the key, or
    // the JSON message frame carrying `content`).
    std::function<std::vector<std::string>(const std::string& message)> chunks;
    std::optional<Expectations> beforeKey, afterKey;  // nullopt: not run in that stage
    std::string content = "Hello, world!";
    std::optional<std::string> keyStageMessage;  // sent instead of the key before it
    std::size_t chop = 0;  // each chunk written in pieces of this many bytes (0: whole)
    // Extra upgrade request header lines (each ending in \r\n), e.g. an extension offer.
    std::string upgradeHeaders;
};

// A row run in both stages with the same expectations.
ConformanceCase both(std::string id, std::string sent,
                     std::function<std::vector<std::string>(const std::string&)> chunks,
                     Expectations expect);

// The JSON message frame for `content` (only ", \ and control characters escaped: other bytes
// go as they are, so that the UTF-8 validator sees them).
std::string jsonMessage(std::string_view content);
// `content` for a JSON message frame of exactly `bytes` bytes (at least 14).
std::string contentForFrameOf(std::size_t bytes);

// Plays `c` in `stage` against the host on `port`, then checks that a second client still
// round-trips. Returns "" when the server did exactly what the case expects, else what differed.
std::string runCase(std::uint16_t port, const ConformanceCase& c, Stage stage);

// Frame builders for the tables (client frames, masked).
std::string text(std::string_view payload, bool fin = true, int rsv = 0);
std::string continuation(std::string_view payload, bool fin = true);
std::string binary(std::string_view payload, bool fin = true, int rsv = 0);
std::string ping(std::string_view payload, bool fin = true, int rsv = 0);
std::string pongFrame(std::string_view payload, bool fin = true);
// `message` as `count` fragments (text, then continuations), split at byte boundaries.
std::string fragmented(std::string_view message, std::size_t count);
// `bytes` in pieces of `size` (the last may be shorter).
std::vector<std::string> pieces(std::string_view bytes, std::size_t size);

// Appends "| id | stage | sent | expected | result |" to the file named by the environment
// variable AGENTHOST_CONFORMANCE_REPORT, when it is set: the table in the docs comes from a run.
void report(const ConformanceCase& c, Stage stage, const std::string& failure);

}  // namespace agenthost::test
