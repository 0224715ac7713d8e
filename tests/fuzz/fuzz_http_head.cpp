// HeadParser (host/http): any bytes, whole or in pieces, reach the same outcome (state, bytes
// consumed, refusal status, target, keep-alive, upgrade); a head never consumes more than it
// was given; pipelined heads after the first parse too.
#include <cstddef>
#include <cstdint>
#include <string>

#include "FuzzSupport.h"
#include "http/HeadParser.h"

using agenthost::http::HeadLimits;
using agenthost::http::HeadParser;
using agenthost::http::HeadResult;

namespace {

// Small limits, so that the fuzzer reaches the 431 answers with short inputs.
const HeadLimits kLimits{2048, 16};

void checkSame(const HeadResult& a, const HeadResult& b) {
    FUZZ_CHECK(a.state == b.state);
    FUZZ_CHECK(a.consumed == b.consumed);
    if (a.state == HeadResult::State::Refused) FUZZ_CHECK(a.refusal.status == b.refusal.status);
    if (a.state == HeadResult::State::Done) {
        FUZZ_CHECK(a.head.target == b.head.target);
        FUZZ_CHECK(a.head.keepAlive == b.head.keepAlive);
        FUZZ_CHECK(a.head.upgrade == b.head.upgrade);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = agenthost::fuzz::seededInput(data, size);

    HeadParser whole(kLimits);
    const HeadResult first = whole.parse(input.bytes);
    if (first.state == HeadResult::State::Done) {
        FUZZ_CHECK(first.consumed > 0 && first.consumed <= input.bytes.size());
    }
    if (first.state == HeadResult::State::Refused) FUZZ_CHECK(first.refusal.status >= 400);

    // The same bytes as they might arrive: the parser sees a growing prefix.
    HeadParser pieces(kLimits);
    HeadResult last;
    std::size_t seen = 0;
    for (std::string_view piece : agenthost::fuzz::splitBySeed(input.bytes, input.seed, 64)) {
        seen += piece.size();
        last = pieces.parse(input.bytes.substr(0, seen));
        if (last.state != HeadResult::State::NeedMore) break;
    }
    if (input.bytes.empty()) last = pieces.parse(input.bytes);
    checkSame(first, last);

    // Pipelined requests: the parser is reset and reads the next head from what follows.
    std::string_view rest = input.bytes;
    HeadResult result = first;
    for (int heads = 0; result.state == HeadResult::State::Done && heads < 8; ++heads) {
        rest.remove_prefix(result.consumed);
        whole.reset();
        result = whole.parse(rest);
        if (result.state == HeadResult::State::Done) FUZZ_CHECK(result.consumed <= rest.size());
    }
    return 0;
}
