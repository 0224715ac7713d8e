// [log] format = text: each log line reads
//   2026-11-27T08:00:00.123Z Information agenthost.session: <text>
// (UTC, milliseconds), as Poco's PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p %s: %t") wrote
// it, without the temporary strings that one makes per field: a line per finished turn is on
// the hot path.
#pragma once

#include <Poco/Formatter.h>

#include <string>

namespace agenthost::log {

class TextFormatter final : public Poco::Formatter {
  public:
    void format(const Poco::Message& message, std::string& text) override;
};

}  // namespace agenthost::log
