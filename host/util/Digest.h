#pragma once

#include <string>

namespace agenthost::util {

// Lower-case hex SHA-256 of `text`.
std::string sha256Hex(const std::string& text);

}  // namespace agenthost::util
