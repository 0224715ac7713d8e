#include "auth/KeyStore.h"

#include <Poco/File.h>
#include <Poco/Path.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "util/Digest.h"

namespace agenthost::auth {

KeyStore::KeyStore(std::vector<config::KeySettings> keys) : keys_(std::move(keys)) {}

const config::KeySettings* KeyStore::find(const std::string& presented) const {
    const std::string digest = util::sha256Hex(presented);
    const config::KeySettings* match = nullptr;
    for (const auto& key : keys_) {
        // Same length (64 hex) always, so CRYPTO_memcmp's time depends on nothing secret.
        const bool equal = key.sha256Hex.size() == digest.size() &&
                           CRYPTO_memcmp(key.sha256Hex.data(), digest.data(), digest.size()) == 0;
        if (equal && match == nullptr) match = &key;
    }
    return match;
}

bool KeyStore::isAdmin(const std::string& presented) const {
    const config::KeySettings* match = find(presented);
    return match != nullptr && match->admin;
}

Decision KeyStore::check(const std::string& presented, const std::string& route) const {
    const config::KeySettings* match = find(presented);
    if (match == nullptr) return {Verdict::InvalidKey, ""};
    const bool allowed = match->allRoutes || std::find(match->routes.begin(), match->routes.end(),
                                                       route) != match->routes.end();
    return {allowed ? Verdict::Allowed : Verdict::Forbidden, match->name};
}

GeneratedKey loadOrCreateGeneratedKey(const std::string& stateDir) {
    GeneratedKey result;
    result.path =
        Poco::Path(Poco::Path::forDirectory(stateDir)).setFileName("generated.key").toString();
    std::ifstream in(result.path);
    std::getline(in, result.secret);
    if (result.secret.size() < 32) {
        unsigned char bytes[24];
        if (RAND_bytes(bytes, sizeof bytes) != 1)
            throw std::runtime_error("no randomness for a key");
        static const char* alphabet =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        result.secret = "ah_";
        for (unsigned char b : bytes) result.secret += alphabet[b & 63];
        for (unsigned char b : bytes) result.secret += alphabet[(b >> 2) & 63];
        Poco::File(stateDir).createDirectories();
        const mode_t old = ::umask(077);
        std::ofstream out(result.path, std::ios::trunc);
        out << result.secret << "\n";
        out.close();
        ::umask(old);
        if (!out) throw std::runtime_error("cannot write " + result.path);
        result.created = true;
    }
    result.settings.name = "generated";
    result.settings.sha256Hex = util::sha256Hex(result.secret);
    result.settings.allRoutes = true;
    return result;
}

}  // namespace agenthost::auth
