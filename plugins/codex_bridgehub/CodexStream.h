// format = codex-json: reads `codex exec --json` events and answers with the agent's messages as
// text, its reasoning as thinking, what it did (commands, file changes, tool calls, its plan) as
// agent events, its token usage, and its thread id as the session state.
#pragma once

#include "CodexJsonEvents.h"
#include "OutputStream.h"

namespace codex_bridgehub {

class CodexStream final : public OutputStream {
  public:
    // `eventsReachAClient`: a protocol 2 client is on the conversation. Otherwise commands are
    // also shown as text lines, as they always were for protocol 1 clients, who see no events.
    CodexStream(std::string command, agenthost::Response& response, bool eventsReachAClient)
        : command_(std::move(command)),
          response_(response),
          eventsReachAClient_(eventsReachAClient) {}

    void onStdout(std::string_view bytes) override;
    void onExit(const RunResult& result) override;

  private:
    void onLine(std::string_view line);
    void show(const std::string& text);
    void think(const std::string& text);
    void report(const AgentEvent& event);

    std::string command_;
    agenthost::Response& response_;
    const bool eventsReachAClient_;
    LineBuffer lines_;
    bool shownAnything_ = false;
    bool thoughtAnything_ = false;
    std::string failure_;  // the turn's error, if its last word was one
};

}  // namespace codex_bridgehub
