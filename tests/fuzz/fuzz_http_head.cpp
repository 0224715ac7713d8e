// HeadParser (host/http): a head read whole reads the same in pieces (bytes consumed, method,
// target, fields, keep-alive, upgrade), what is refused whole is never accepted in pieces, a
// head never consumes more than it was given, and pipelined heads after the first parse too.
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

// `split` is the outcome for the same bytes arriving in pieces. A head read whole reads the same
// in pieces. A refusal may come later or for another reason: once Beast has seen an incomplete
// request line it looks at the bytes again only when the head is complete (or over the limit),
// so garbage split early waits for its end of head, which a refusal or the head timeout ends.
void checkSame(const HeadResult& whole, const HeadResult& split) {
    switch (whole.state) {
        case HeadResult::State::Done:
            FUZZ_CHECK(split.state == HeadResult::State::Done);
            FUZZ_CHECK(whole.consumed == split.consumed);
            FUZZ_CHECK(whole.head.target == split.head.target);
            FUZZ_CHECK(whole.head.keepAlive == split.head.keepAlive);
            FUZZ_CHECK(whole.head.upgrade == split.head.upgrade);
            FUZZ_CHECK(whole.head.request.method == split.head.request.method);
            FUZZ_CHECK(whole.head.request.headers == split.head.request.headers);
            break;
        case HeadResult::State::Refused:
            FUZZ_CHECK(split.state != HeadResult::State::Done);
            if (split.state == HeadResult::State::Refused) FUZZ_CHECK(split.refusal.status >= 400);
            break;
        case HeadResult::State::NeedMore:
            FUZZ_CHECK(split.state == HeadResult::State::NeedMore);
            break;
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
