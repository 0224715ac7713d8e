// Utf8Chunker (host/util/Utf8): arbitrary bytes, split at arbitrary points, come out as valid
// UTF-8 chunks of at most chunk_chars code points, none empty, whose concatenation is the
// input with only its ill-formed sequences replaced by U+FFFD (repairUtf8), whatever the split.
#include <cstddef>
#include <cstdint>
#include <string>

#include "FuzzSupport.h"
#include "util/Utf8.h"

using agenthost::util::Utf8Chunker;

namespace {

std::size_t codePoints(const std::string& text) {
    std::size_t count = 0;
    for (unsigned char c : text) count += (c & 0xC0) != 0x80;
    return count;
}

// The concatenation of every chunk for the input cut into `pieces`, checking each chunk.
template <class Pieces>
std::string chunked(const Pieces& pieces, std::size_t maxCodePoints) {
    Utf8Chunker chunker(maxCodePoints);
    std::string all;
    for (std::string_view piece : pieces) {
        for (const std::string& chunk : chunker.push(piece)) {
            FUZZ_CHECK(!chunk.empty());
            FUZZ_CHECK(agenthost::util::isValidUtf8(chunk));
            FUZZ_CHECK(codePoints(chunk) <= maxCodePoints);
            all += chunk;
        }
    }
    const std::string rest = chunker.flush();
    FUZZ_CHECK(agenthost::util::isValidUtf8(rest));
    FUZZ_CHECK(codePoints(rest) <= maxCodePoints);
    return all + rest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = agenthost::fuzz::seededInput(data, size);
    const std::size_t maxCodePoints = 1 + input.seed % 13;
    const std::string repaired = agenthost::util::repairUtf8(input.bytes);
    FUZZ_CHECK(agenthost::util::isValidUtf8(repaired));
    // Valid text passes unchanged; ill-formed text only grows by replacements.
    if (agenthost::util::isValidUtf8(input.bytes)) FUZZ_CHECK(repaired == input.bytes);

    const std::string whole = chunked(std::vector<std::string_view>{input.bytes}, maxCodePoints);
    FUZZ_CHECK(whole == repaired);
    const std::string split =
        chunked(agenthost::fuzz::splitBySeed(input.bytes, input.seed, 7), maxCodePoints);
    FUZZ_CHECK(split == repaired);
    return 0;
}
