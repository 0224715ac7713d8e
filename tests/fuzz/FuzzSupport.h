// What the fuzz targets share: failing loudly when a property is violated (a return value would
// only say "no crash"), and cutting one input into pieces the way a network read might.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>

namespace agenthost::fuzz {

// A violated property is a crash libFuzzer records, with the reason on stderr.
#define FUZZ_CHECK(condition)                                                             \
    do {                                                                                  \
        if (!(condition)) {                                                               \
            std::fprintf(stderr, "property violated: %s (%s:%d)\n", #condition, __FILE__, \
                         __LINE__);                                                       \
            __builtin_trap();                                                             \
        }                                                                                 \
    } while (0)

// Splits `bytes` into pieces of 1..maxPiece bytes chosen by `seed` (xorshift), so that the
// fuzzer controls where reads end through the seed bytes it mutates.
inline std::vector<std::string_view> splitBySeed(std::string_view bytes, std::uint32_t seed,
                                                 std::size_t maxPiece = 17) {
    std::vector<std::string_view> pieces;
    std::uint32_t state = seed | 1;
    while (!bytes.empty()) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        const std::size_t size = std::min<std::size_t>(bytes.size(), 1 + state % maxPiece);
        pieces.push_back(bytes.substr(0, size));
        bytes.remove_prefix(size);
    }
    return pieces;
}

// The first four bytes of the input as a seed for splitBySeed, and the rest.
struct SeededInput {
    std::uint32_t seed = 0;
    std::string_view bytes;
};
inline SeededInput seededInput(const std::uint8_t* data, std::size_t size) {
    SeededInput input;
    for (std::size_t i = 0; i < 4 && i < size; ++i) input.seed = (input.seed << 8) | data[i];
    const std::size_t skip = size < 4 ? size : 4;
    input.bytes = std::string_view(reinterpret_cast<const char*>(data) + skip, size - skip);
    return input;
}

}  // namespace agenthost::fuzz
