// The server's version, as /api/health, /api/status and --version report it.
#pragma once

namespace agenthost {

inline constexpr const char* kVersion = "1.0.0";

}  // namespace agenthost
