#include "log/Logging.h"

#include <Poco/AutoPtr.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#include <unistd.h>

#include <mutex>

#include "log/AccessLog.h"
#include "log/JsonFormatter.h"
#include "log/LogFile.h"

namespace agenthost::log {
namespace {

std::mutex fileMutex;                // guards currentFile
Poco::AutoPtr<LogFile> currentFile;  // null: logging goes to stderr

Poco::AutoPtr<Poco::Formatter> formatterFor(const std::string& format) {
    if (format == "json") return new JsonFormatter;
    return new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p %s: %t");
}

// Every existing logger takes the root's channel and level (those made later inherit them).
void apply(const Poco::AutoPtr<Poco::Channel>& channel, int level) {
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::root().setLevel(level);
    Poco::Logger::setChannel("", channel);
    Poco::Logger::setLevel("", level);
}

}  // namespace

// Standard error, one write(2) per line (std::cerr is unbuffered: it wrote the text and its
// newline in two calls, and lines of different threads could interleave).
Poco::AutoPtr<Poco::Channel> standardError() {
    return LogFile::borrowing(STDERR_FILENO);
}

void useDefaultLogging() {
    Poco::AutoPtr<Poco::Channel> channel(
        new Poco::FormattingChannel(formatterFor("text"), standardError()));
    apply(channel, Poco::Message::PRIO_INFORMATION);
    setAccessFieldsAsJson(false);
}

std::string configureLogging(const config::LogSettings& settings) {
    Poco::AutoPtr<Poco::Channel> sink;
    Poco::AutoPtr<LogFile> file;
    if (settings.file.empty()) {
        sink = standardError();
    } else {
        file = new LogFile(settings.file);
        if (auto error = file->reopen(); !error.empty()) return error;
        sink = file;
    }
    Poco::AutoPtr<Poco::Channel> channel(
        new Poco::FormattingChannel(formatterFor(settings.format), sink));
    apply(channel, Poco::Logger::parseLevel(settings.level));
    setLogContent(settings.logContent);
    setAccessFieldsAsJson(settings.format == "json");
    std::lock_guard<std::mutex> lock(fileMutex);
    currentFile = file;
    return "";
}

std::string reopenLogFile() {
    std::lock_guard<std::mutex> lock(fileMutex);
    return currentFile ? currentFile->reopen() : "";
}

}  // namespace agenthost::log
