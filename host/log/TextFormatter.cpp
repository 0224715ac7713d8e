#include "log/TextFormatter.h"

#include <Poco/Message.h>

#include <cstdio>
#include <ctime>

namespace agenthost::log {
namespace {

// Poco's names (PatternFormatter's %p).
const char* priorityName(Poco::Message::Priority priority) {
    switch (priority) {
        case Poco::Message::PRIO_FATAL:
            return "Fatal";
        case Poco::Message::PRIO_CRITICAL:
            return "Critical";
        case Poco::Message::PRIO_ERROR:
            return "Error";
        case Poco::Message::PRIO_WARNING:
            return "Warning";
        case Poco::Message::PRIO_NOTICE:
            return "Notice";
        case Poco::Message::PRIO_INFORMATION:
            return "Information";
        case Poco::Message::PRIO_DEBUG:
            return "Debug";
        case Poco::Message::PRIO_TRACE:
            return "Trace";
    }
    return "Information";
}

}  // namespace

void TextFormatter::format(const Poco::Message& message, std::string& text) {
    const auto micros = message.getTime().epochMicroseconds();
    const std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
    // The date and time to the second are formatted once per second and thread.
    thread_local std::time_t cachedSeconds = -1;
    thread_local char cachedPrefix[64] = "";
    if (seconds != cachedSeconds) {
        std::tm utc{};
        ::gmtime_r(&seconds, &utc);
        std::snprintf(cachedPrefix, sizeof cachedPrefix, "%04d-%02d-%02dT%02d:%02d:%02d.",
                      utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                      utc.tm_sec);
        cachedSeconds = seconds;
    }
    const int millis = static_cast<int>(micros / 1000 % 1000);
    const std::string& source = message.getSource();
    const std::string& body = message.getText();
    text.reserve(text.size() + 48 + source.size() + body.size());
    text += cachedPrefix;
    text += static_cast<char>('0' + millis / 100);
    text += static_cast<char>('0' + millis / 10 % 10);
    text += static_cast<char>('0' + millis % 10);
    text += "Z ";
    text += priorityName(message.getPriority());
    text += ' ';
    text += source;
    text += ": ";
    text += body;
}

}  // namespace agenthost::log
