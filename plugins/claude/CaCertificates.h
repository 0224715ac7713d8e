// Whether libcurl has certificates to verify the API's TLS certificate with. A minimal Debian
// has no ca-certificates package, and then every https request fails at the handshake; saying
// so at start (and in /api/health) beats a user's first message failing.
#pragma once

#include <string>

#include "ClaudeConfig.h"

namespace agenthost::claude {

// Throws std::invalid_argument when `path` cannot be read or holds no PEM certificate.
void checkCaFile(const std::string& path);

// Empty when verifying config.baseUrl needs no certificates (http://) or when ca_file, else
// libcurl's built-in default CA file or folder, holds some. Otherwise a sentence saying what is
// missing and what to install.
std::string missingCaCertificates(const ClaudeConfig& config);

}  // namespace agenthost::claude
