// The ini file (host/config): lintIni and loadConfig, with `env:` and `file:` values, on any
// text. Neither throws; a text lintIni finds fault with never loads; every problem's line is a
// line of the file; and no problem message shows the value of a secret it resolved
// (env:AGENTHOST_FUZZ_SECRET, file:secret.txt).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "FuzzSupport.h"
#include "config/Config.h"
#include "config/IniLint.h"

namespace config = agenthost::config;

namespace {

constexpr const char* kEnvSecret = "env-secret-5f2c";
constexpr const char* kFileSecret = "file-secret-9d41";

// A folder of its own with a secret file next to the ini, made once per process.
const std::string& folder() {
    static const std::string path = [] {
        char name[] = "/tmp/agenthost-fuzz-ini-XXXXXX";
        if (!mkdtemp(name)) std::abort();
        std::ofstream(std::string(name) + "/secret.txt") << kFileSecret << "\n";
        setenv("AGENTHOST_FUZZ_SECRET", kEnvSecret, 1);
        return std::string(name);
    }();
    return path;
}

std::string describeAll(const config::LoadResult& result) {
    std::string all;
    for (const auto* problems : {&result.errors, &result.warnings})
        for (const config::Problem& problem : *problems) all += problem.describe() + "\n";
    return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const std::string path = folder() + "/agenthost.ini";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;

    std::size_t lines = 1;
    for (char c : text) lines += c == '\n';
    const auto lint = config::lintIni(text);
    for (const config::Problem& problem : lint) FUZZ_CHECK(problem.line <= lines);

    const config::LoadResult result = config::loadConfig(path);
    if (!lint.empty()) FUZZ_CHECK(!result.ok());
    for (const config::Problem& problem : result.errors) FUZZ_CHECK(problem.line <= lines);
    const std::string described = describeAll(result);
    // (Unless the text itself has them: a problem may quote its line.)
    if (text.find(kEnvSecret) == std::string::npos)
        FUZZ_CHECK(described.find(kEnvSecret) == std::string::npos);
    if (text.find(kFileSecret) == std::string::npos)
        FUZZ_CHECK(described.find(kFileSecret) == std::string::npos);
    return 0;
}
