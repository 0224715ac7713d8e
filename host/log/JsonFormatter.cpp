#include "log/JsonFormatter.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Object.h>
#include <Poco/Message.h>

#include <sstream>

namespace agenthost::log {
namespace {

const char* levelName(Poco::Message::Priority priority) {
    switch (priority) {
        case Poco::Message::PRIO_FATAL:
            return "fatal";
        case Poco::Message::PRIO_CRITICAL:
            return "critical";
        case Poco::Message::PRIO_ERROR:
            return "error";
        case Poco::Message::PRIO_WARNING:
            return "warning";
        case Poco::Message::PRIO_NOTICE:
            return "notice";
        case Poco::Message::PRIO_INFORMATION:
            return "info";
        case Poco::Message::PRIO_DEBUG:
            return "debug";
        case Poco::Message::PRIO_TRACE:
            return "trace";
    }
    return "info";
}

}  // namespace

void JsonFormatter::format(const Poco::Message& message, std::string& text) {
    Poco::JSON::Object line(Poco::JSON_PRESERVE_KEY_ORDER);
    line.set("time", Poco::DateTimeFormatter::format(message.getTime(), "%Y-%m-%dT%H:%M:%S.%iZ"));
    line.set("level", levelName(message.getPriority()));
    line.set("logger", message.getSource());
    line.set("message", message.getText());
    std::ostringstream out;
    line.stringify(out);
    text = out.str();
    // The fields are a JSON object too: splice its members in after ours.
    const std::string fields = message.has(kFieldsParameter) ? message.get(kFieldsParameter) : "";
    if (fields.size() > 2 && fields.front() == '{' && fields.back() == '}') {
        text.pop_back();
        text += ',';
        text.append(fields, 1, std::string::npos);
    }
}

}  // namespace agenthost::log
