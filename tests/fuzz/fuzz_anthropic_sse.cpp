// The Anthropic event stream (plugins/claude): SseParser and MessageStream on any response
// body. However the network splits the body, the parser yields the same events and the stream
// the same text, thinking, usage, stop reason, error and content blocks; nothing escapes as an
// exception (a stream this code cannot read ends as a malformed_stream error).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "FuzzSupport.h"
#include "MessageStream.h"
#include "SseParser.h"

using agenthost::claude::MessageStream;
using agenthost::claude::SseEvent;
using agenthost::claude::SseParser;
using agenthost::claude::StreamSinks;

namespace {

template <class Pieces>
std::vector<SseEvent> events(const Pieces& pieces) {
    SseParser parser;
    std::vector<SseEvent> out;
    for (std::string_view piece : pieces)
        parser.feed(piece, [&](const SseEvent& event) { out.push_back(event); });
    return out;
}

// Everything a MessageStream tells about a body, as one comparable text.
template <class Pieces>
std::string interpreted(const Pieces& pieces) {
    std::string text, thinking, unknown;
    int redacted = 0;
    StreamSinks sinks;
    sinks.text = [&](std::string_view piece) { text += piece; };
    sinks.thinking = [&](std::string_view piece) { thinking += piece; };
    sinks.redactedThinking = [&] { ++redacted; };
    sinks.unknown = [&](const std::string& what) { unknown += what + "\n"; };
    MessageStream stream(sinks);
    for (std::string_view piece : pieces) stream.feed(piece);
    const auto& usage = stream.usage();
    std::string all = "text:" + text + "\nthinking:" + thinking + "\nunknown:" + unknown +
                      "\nredacted:" + std::to_string(redacted) +
                      "\nfinished:" + std::to_string(stream.finished()) +
                      "\nstop:" + stream.stopReason() +
                      "\nusage:" + std::to_string(usage.inputTokens) + "," +
                      std::to_string(usage.outputTokens) + "," + std::to_string(usage.hasCache) +
                      "," + std::to_string(usage.cacheCreationInputTokens) + "," +
                      std::to_string(usage.cacheReadInputTokens);
    if (stream.error()) all += "\nerror:" + stream.error()->type + ":" + stream.error()->message;
    all += "\ncontent:" + stream.content().json();
    return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = agenthost::fuzz::seededInput(data, size);
    const std::vector<std::string_view> whole{input.bytes};
    const auto pieces = agenthost::fuzz::splitBySeed(input.bytes, input.seed, 29);
    FUZZ_CHECK(events(whole) == events(pieces));
    FUZZ_CHECK(interpreted(whole) == interpreted(pieces));
    return 0;
}
