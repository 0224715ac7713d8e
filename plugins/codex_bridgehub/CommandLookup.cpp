#include "CommandLookup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

namespace codex_bridgehub {
namespace {

bool isExecutableFile(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string commandProblem(const std::string& command) {
    if (command.find('/') != std::string::npos) {
        if (isExecutableFile(command)) return "";
        return "command \"" + command + "\" is not an executable file";
    }
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/bin:/usr/bin";
    while (true) {
        const auto colon = dirs.find(':');
        // An empty PATH entry means the current directory, as for posix_spawnp.
        const std::string_view dir = dirs.substr(0, colon);
        std::string candidate = dir.empty() ? std::string(".") : std::string(dir);
        candidate.append(1, '/').append(command);
        if (isExecutableFile(candidate)) return "";
        if (colon == std::string_view::npos) break;
        dirs.remove_prefix(colon + 1);
    }
    return "command \"" + command + "\" was not found on PATH or is not executable";
}

}  // namespace codex_bridgehub
