// format = text: stdout goes to the client as it comes, repaired to valid UTF-8.
#pragma once

#include "OutputDecoder.h"
#include "OutputStream.h"

namespace codex_bridgehub {

class TextStream final : public OutputStream {
  public:
    TextStream(std::string command, agenthost::Response& response)
        : command_(std::move(command)), response_(response) {}

    void onStdout(std::string_view bytes) override { note(response_.text(decoder_.decode(bytes))); }
    void onExit(const RunResult& result) override;

  private:
    std::string command_;
    agenthost::Response& response_;
    OutputDecoder decoder_;
};

}  // namespace codex_bridgehub
