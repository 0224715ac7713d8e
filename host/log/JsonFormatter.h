// [log] format = json: each log line is one JSON object,
//   {"time":"2026-11-27T08:00:00.123Z","level":"info","logger":"agenthost.session","message":"..."}
// followed by the fields of a structured line (an access line's key, route, duration, ...),
// which the line carries, already encoded, in its "fields" parameter (see AccessLog.h).
#pragma once

#include <Poco/Formatter.h>

#include <string>

namespace agenthost::log {

class JsonFormatter final : public Poco::Formatter {
  public:
    void format(const Poco::Message& message, std::string& text) override;
};

// The name of the Message parameter that holds a JSON object of extra fields.
inline constexpr const char* kFieldsParameter = "fields";

}  // namespace agenthost::log
