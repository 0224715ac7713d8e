#include "config/Secrets.h"

#include <Poco/Path.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace agenthost::config {

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
        std::ostringstream content;
        content << in.rdbuf();
        std::string value = content.str();
        while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
        if (value.empty()) return {std::nullopt, "file " + path.toString() + " is empty"};
        return {value, ""};
    }
    return {raw, ""};
}

}  // namespace agenthost::config
