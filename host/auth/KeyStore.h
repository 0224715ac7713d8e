// Client keys: matching a presented key against the configured ones in constant time, and the
// per-key route allowlist. Only SHA-256 hashes of keys are kept in memory.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/Config.h"

namespace agenthost::auth {

enum class Verdict { Allowed, InvalidKey, Forbidden };

struct Decision {
    Verdict verdict = Verdict::InvalidKey;
    std::string keyName;  // the matching [key.NAME], when the key is valid
};

class KeyStore {
  public:
    explicit KeyStore(std::vector<config::KeySettings> keys);

    // Checks `presented` for `route`. Every configured key is compared, in constant time,
    // whichever matches, so the timing tells nothing about the keys.
    Decision check(const std::string& presented, const std::string& route) const;

    // True when `presented` is a key with `admin = true` (same constant-time comparison).
    bool isAdmin(const std::string& presented) const;

    bool empty() const { return keys_.empty(); }

  private:
    const config::KeySettings* find(const std::string& presented) const;

    std::vector<config::KeySettings> keys_;
};

// The key used when none is configured: read from <stateDir>/generated.key, or created there
// (random, 0600) on first start. Returns the key's settings and the key itself, so it can be
// shown to the user once at startup.
struct GeneratedKey {
    config::KeySettings settings;
    std::string secret;
    std::string path;
    bool created = false;
};
GeneratedKey loadOrCreateGeneratedKey(const std::string& stateDir);

}  // namespace agenthost::auth
