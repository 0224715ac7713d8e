#include "BridgeSettings.h"

#include <sys/stat.h>

#include <set>
#include <stdexcept>

#include "ArgSplitter.h"

namespace codex_bridgehub {
namespace {

const std::set<std::string> kKnownKeys = {
    "command",          "args",      "prompt",          "format",
    "workdir",          "timeout_s", "max_concurrent",  "kill_grace_ms",
    "prompt_separator", "mode",      "approval_policy", "startup_timeout_s"};
constexpr std::string_view kEnvPrefix = "env.";

bool isEnvName(const std::string& name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    for (char c : name)
        if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9')))
            return false;
    return true;
}

std::string baseName(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

long long inRange(const agenthost::Settings& s, const std::string& key, long long fallback,
                  long long min, long long max) {
    const long long value = s.getInt(key, fallback);
    if (value < min || value > max)
        throw std::invalid_argument(key + " must be from " + std::to_string(min) + " to " +
                                    std::to_string(max));
    return value;
}

void addVariable(const std::string& key, const std::string& name, const std::string& value,
                 BridgeSettings& out) {
    if (!isEnvName(name))
        throw std::invalid_argument(key + ": \"" + name +
                                    "\" is not a valid environment variable name");
    out.env.emplace_back(name, value);
}

// `env = NAME=value OTHER='two words'`: the same as env.NAME lines, as shell words.
void readEnvList(const std::string& list, BridgeSettings& out) {
    if (list.find_first_not_of(" \t") == std::string::npos)
        throw std::invalid_argument(
            "env is empty: write env = NAME=value OTHER='two words', or env.NAME = value lines");
    std::vector<std::string> words;
    try {
        words = splitArgs(list);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string("env: ") + e.what());
    }
    for (const auto& word : words) {
        const auto eq = word.find('=');
        if (eq == std::string::npos)
            throw std::invalid_argument("env: \"" + word + "\" is not NAME=value");
        addVariable("env", word.substr(0, eq), word.substr(eq + 1), out);
    }
}

void readEnvironment(const agenthost::Settings& s, BridgeSettings& out) {
    for (const auto& [key, value] : s.all()) {
        if (key == "env") {
            readEnvList(value, out);
        } else if (key.rfind(kEnvPrefix, 0) == 0) {
            addVariable(key, key.substr(kEnvPrefix.size()), value, out);
        } else if (!kKnownKeys.count(key)) {
            throw std::invalid_argument("unknown setting \"" + key + "\"");
        }
    }
}

void readPromptAndFormat(const agenthost::Settings& s, BridgeSettings& out) {
    const std::string prompt = s.get("prompt", "stdin");
    if (prompt == "stdin")
        out.prompt = PromptMode::Stdin;
    else if (prompt == "arg")
        out.prompt = PromptMode::Arg;
    else
        throw std::invalid_argument("prompt must be stdin or arg, got \"" + prompt + "\"");

    const std::string fallback = baseName(out.command) == "codex" ? "codex-json" : "text";
    const std::string format = s.get("format", fallback);
    if (format == "text")
        out.format = OutputFormat::Text;
    else if (format == "codex-json")
        out.format = OutputFormat::CodexJson;
    else
        throw std::invalid_argument("format must be text or codex-json, got \"" + format + "\"");

    // Codex takes `--` before a prompt argument, so that a prompt starting with "-" is never
    // read as an option. Other tools may not understand it: opt in with prompt_separator.
    if (s.has("prompt_separator")) {
        const std::string separator = s.get("prompt_separator");
        if (!separator.empty()) out.promptSeparator = separator;
    } else if (out.format == OutputFormat::CodexJson) {
        out.promptSeparator = "--";
    }
}

// mode and approval_policy belong to format = codex-json; elsewhere they are config errors.
void readCodexMode(const agenthost::Settings& s, BridgeSettings& out) {
    if (out.format != OutputFormat::CodexJson) {
        for (const char* key : {"mode", "approval_policy", "startup_timeout_s"})
            if (s.has(key))
                throw std::invalid_argument(std::string(key) + " needs format = codex-json");
        return;
    }
    const std::string mode = s.get("mode", "app-server");
    if (mode == "app-server")
        out.mode = CodexMode::AppServer;
    else if (mode == "exec")
        out.mode = CodexMode::Exec;
    else
        throw std::invalid_argument("mode must be app-server or exec, got \"" + mode + "\"");
    const std::string policy = s.get("approval_policy", "decline");
    if (policy == "decline")
        out.approvalPolicy = ApprovalPolicy::Decline;
    else if (policy == "accept")
        out.approvalPolicy = ApprovalPolicy::Accept;
    else
        throw std::invalid_argument("approval_policy must be decline or accept, got \"" + policy +
                                    "\"");
    if (out.mode == CodexMode::AppServer && s.has("prompt"))
        throw std::invalid_argument(
            "prompt is for mode = exec; app-server takes the message as "
            "turn input");
}

void checkWorkdir(const std::string& workdir) {
    struct stat st {};
    if (::stat(workdir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw std::invalid_argument("workdir \"" + workdir + "\" is not a directory");
}

}  // namespace

BridgeSettings BridgeSettings::from(const agenthost::Settings& s) {
    BridgeSettings out;
    readEnvironment(s, out);
    out.command = s.get("command", "codex");
    if (out.command.empty()) throw std::invalid_argument("command must not be empty");
    try {
        out.args = splitArgs(s.get("args"));
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string("args: ") + e.what());
    }
    readPromptAndFormat(s, out);
    readCodexMode(s, out);
    out.workdir = s.get("workdir");
    if (!out.workdir.empty()) checkWorkdir(out.workdir);
    out.timeout = std::chrono::seconds(inRange(s, "timeout_s", 600, 1, 7 * 24 * 3600));
    out.maxConcurrent = static_cast<std::size_t>(inRange(s, "max_concurrent", 4, 1, 256));
    out.killGrace = std::chrono::milliseconds(inRange(s, "kill_grace_ms", 2000, 0, 60000));
    out.startupTimeout = std::chrono::seconds(inRange(s, "startup_timeout_s", 30, 1, 600));
    return out;
}

}  // namespace codex_bridgehub
