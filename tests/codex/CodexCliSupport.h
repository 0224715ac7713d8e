// For the tests against the real Codex CLI: where it is installed, and the scripted Responses
// API it talks to (mock_responses_api.py) on loopback.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "CodexTestSupport.h"
#include "support/BuildPaths.h"

namespace agenthost::test::codex {

// The pinned Codex CLI, as scripts/setup.sh installs it (AGENTHOST_CODEX_CLI overrides).
inline std::string codexCliPath() {
    if (const char* given = std::getenv("AGENTHOST_CODEX_CLI")) return given;
    return sourceDirectory() + "/.tools/codex/node_modules/.bin/codex";
}

inline bool codexCliInstalled() {
    return ::access(codexCliPath().c_str(), X_OK) == 0;
}

#define SKIP_WITHOUT_CODEX_CLI()                             \
    if (!::agenthost::test::codex::codexCliInstalled())      \
    GTEST_SKIP() << "the Codex CLI is not installed at "     \
                 << ::agenthost::test::codex::codexCliPath() \
                 << ": scripts/setup.sh installs @openai/codex 0.171.0 there (needs npm)"

// tests/codex/mock_responses_api.py, running until destroyed. Every request body Codex sent is
// a line of requestLog().
class MockResponsesApi {
  public:
    MockResponsesApi() {
        const std::string script = sourceDirectory() + "/tests/codex/mock_responses_api.py";
        int out[2];
        if (::pipe(out) != 0) throw std::runtime_error("pipe");
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(out[1], 1);
            ::close(out[0]);
            ::close(out[1]);
            ::execlp("python3", "python3", script.c_str(), "--log", log_.c_str(), nullptr);
            ::_exit(127);
        }
        ::close(out[1]);
        FILE* in = ::fdopen(out[0], "r");
        char line[64] = {};
        if (!std::fgets(line, sizeof line, in) || std::sscanf(line, "PORT %d", &port_) != 1)
            throw std::runtime_error("mock_responses_api.py did not start");
        std::fclose(in);
    }
    ~MockResponsesApi() {
        ::kill(pid_, SIGTERM);
        ::waitpid(pid_, nullptr, 0);
    }
    MockResponsesApi(const MockResponsesApi&) = delete;
    MockResponsesApi& operator=(const MockResponsesApi&) = delete;

    int port() const { return port_; }
    std::string requestLog() const { return readFile(log_); }

    // [plugin.codex] settings that run the real CLI against this mock, with its own CODEX_HOME
    // and project folder. Commands run in the sandbox; one that asks to leave it needs an approval.
    std::string settings(const std::string& codexHome, const std::string& project) const {
        return "command = " + codexCliPath() +
               "\nargs = -c model_provider=mock -c model=gpt-5"
               " -c 'model_providers.mock.name=\"mock\"'"
               " -c 'model_providers.mock.base_url=\"http://127.0.0.1:" +
               std::to_string(port_) +
               "/v1\"'"
               " -c 'model_providers.mock.wire_api=\"responses\"'"
               " -c 'model_providers.mock.env_key=\"MOCK_API_KEY\"'"
               " -c approval_policy=on-request -c sandbox_mode=workspace-write"
               "\nenv.CODEX_HOME = " +
               codexHome + "\nenv.MOCK_API_KEY = unused\nworkdir = " + project + "\n";
    }

  private:
    TempDir dir_;
    std::string log_ = dir_.file("requests.jsonl");
    pid_t pid_ = -1;
    int port_ = 0;
};

}  // namespace agenthost::test::codex
