#include "config/Secrets.h"

#include <Poco/Path.h>

#include <cstdlib>
#include <fstream>

namespace agenthost::config {

namespace {

// A secret file holds one value (a key, a token, a model name). The bound keeps a mistaken path
// (a log file, /dev/zero) from being read without end when the config is loaded or checked.
constexpr std::size_t kMaxSecretFileBytes = 64 * 1024;

}  // namespace

Resolved resolveValue(const std::string& raw, const std::string& baseDir) {
    if (raw.rfind("env:", 0) == 0) {
        const std::string name = raw.substr(4);
        const char* value = name.empty() ? nullptr : std::getenv(name.c_str());
        if (value == nullptr || *value == '\0')
            return {std::nullopt, "environment variable " + name + " is not set"};
        return {std::string(value), ""};
    }
    if (raw.rfind("file:", 0) == 0) {
        Poco::Path path(raw.substr(5));
        if (path.isRelative()) path = Poco::Path(Poco::Path::forDirectory(baseDir), path);
        std::ifstream in(path.toString(), std::ios::binary);
        if (!in) return {std::nullopt, "cannot read file " + path.toString()};
        std::string value(kMaxSecretFileBytes + 1, '\0');
        in.read(value.data(), static_cast<std::streamsize>(value.size()));
        value.resize(static_cast<std::size_t>(in.gcount()));
        if (value.size() > kMaxSecretFileBytes)
            return {std::nullopt, "file " + path.toString() + " is larger than 64 KiB"};
        while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
        if (value.empty()) return {std::nullopt, "file " + path.toString() + " is empty"};
        return {value, ""};
    }
    return {raw, ""};
}

}  // namespace agenthost::config
