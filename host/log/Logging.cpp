#include "log/Logging.h"

#include <Poco/AutoPtr.h>
#include <Poco/Logger.h>
#include <unistd.h>

#include <chrono>
#include <mutex>

#include "log/AccessLog.h"
#include "log/JsonFormatter.h"
#include "log/LogFile.h"
#include "log/TextFormatter.h"

namespace agenthost::log {
namespace {

std::mutex channelMutex;                // guards currentChannel
Poco::AutoPtr<LogFile> currentChannel;  // the file or stderr, as configured; null before

Poco::AutoPtr<Poco::Formatter> formatterFor(const std::string& format) {
    if (format == "json") return new JsonFormatter;
    return new TextFormatter;
}

// Every existing logger takes the root's channel and level (those made later inherit them).
void apply(const Poco::AutoPtr<Poco::Channel>& channel, int level) {
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::root().setLevel(level);
    Poco::Logger::setChannel("", channel);
    Poco::Logger::setLevel("", level);
}

}  // namespace

void useDefaultLogging() {
    // Standard error, one write(2) per line (std::cerr is unbuffered: Poco's ConsoleChannel
    // wrote the text and its newline in two calls, and lines of threads could interleave).
    apply(LogFile::borrowing(STDERR_FILENO, formatterFor("text")), Poco::Message::PRIO_INFORMATION);
    setAccessFieldsAsJson(false);
}

std::string configureLogging(const config::LogSettings& settings) {
    const std::chrono::milliseconds flushDelay(settings.flushMs);
    Poco::AutoPtr<LogFile> channel;
    if (settings.file.empty()) {
        channel = LogFile::borrowing(STDERR_FILENO, formatterFor(settings.format), flushDelay);
    } else {
        channel = new LogFile(settings.file, formatterFor(settings.format), flushDelay);
        if (auto error = channel->reopen(); !error.empty()) return error;
    }
    apply(channel, Poco::Logger::parseLevel(settings.level));
    setLogContent(settings.logContent);
    setAccessFieldsAsJson(settings.format == "json");
    Poco::AutoPtr<LogFile> previous;
    {
        std::lock_guard<std::mutex> lock(channelMutex);
        previous = currentChannel;
        currentChannel = channel;
    }
    if (previous) previous->flush();  // its lines before the new channel's
    return "";
}

std::string reopenLogFile() {
    std::lock_guard<std::mutex> lock(channelMutex);
    return currentChannel ? currentChannel->reopen() : "";
}

void flushLog() {
    std::lock_guard<std::mutex> lock(channelMutex);
    if (currentChannel) currentChannel->flush();
}

}  // namespace agenthost::log
