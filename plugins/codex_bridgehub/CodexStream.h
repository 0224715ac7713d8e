// format = codex-json: reads `codex exec --json` events and answers with the agent's messages,
// one line per command it ran, its token usage, and its thread id as the session state.
#pragma once

#include "CodexJsonEvents.h"
#include "OutputStream.h"

namespace codex_bridgehub {

class CodexStream final : public OutputStream {
  public:
    CodexStream(std::string command, agenthost::Response& response)
        : command_(std::move(command)), response_(response) {}

    void onStdout(std::string_view bytes) override;
    void onExit(const RunResult& result) override;

  private:
    void onLine(std::string_view line);
    void show(const std::string& text);

    std::string command_;
    agenthost::Response& response_;
    LineBuffer lines_;
    bool shownAnything_ = false;
    std::string failure_;  // the turn's error, if its last word was one
};

}  // namespace codex_bridgehub
