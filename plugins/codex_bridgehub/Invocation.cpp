#include "Invocation.h"

namespace codex_bridgehub {
namespace {

void appendPrompt(const BridgeSettings& settings, const std::string& message, Invocation& out) {
    if (settings.prompt == PromptMode::Stdin) {
        out.input = message;
        if (settings.format == OutputFormat::CodexJson) out.argv.push_back("-");  // read stdin
        return;
    }
    if (settings.promptSeparator) out.argv.push_back(*settings.promptSeparator);
    out.argv.push_back(message);
}

}  // namespace

bool isThreadId(const std::string& text) {
    if (text.empty() || text.size() > 200 || text[0] == '-') return false;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_' || c == '.' || c == ':'))
            return false;
    return true;
}

Invocation buildInvocation(const BridgeSettings& settings, const std::string& message,
                           const std::string& threadId) {
    Invocation out;
    out.argv.push_back(settings.command);
    if (settings.format == OutputFormat::CodexJson) {
        out.argv.push_back("exec");
        out.argv.push_back("--json");
    }
    out.argv.insert(out.argv.end(), settings.args.begin(), settings.args.end());
    if (settings.format == OutputFormat::CodexJson && isThreadId(threadId)) {
        out.argv.push_back("resume");
        out.argv.push_back(threadId);
    }
    appendPrompt(settings, message, out);
    return out;
}

}  // namespace codex_bridgehub
