// Wall-clock time as the store and the HTTP API keep it: milliseconds since the Unix epoch.
#pragma once

#include <chrono>
#include <cstdint>

namespace agenthost::util {

inline std::int64_t epochMillis() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace agenthost::util
