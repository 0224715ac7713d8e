#include "log/Logging.h"

#include <Poco/AutoPtr.h>
#include <Poco/Logger.h>
#include <unistd.h>

#include <mutex>

#include "log/AccessLog.h"
#include "log/JsonFormatter.h"
#include "log/LogFile.h"
#include "log/TextFormatter.h"

namespace agenthost::log {
namespace {

std::mutex fileMutex;                // guards currentFile
Poco::AutoPtr<LogFile> currentFile;  // null: logging goes to stderr

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
    Poco::AutoPtr<Poco::Channel> channel;
    Poco::AutoPtr<LogFile> file;
    if (settings.file.empty()) {
        channel = LogFile::borrowing(STDERR_FILENO, formatterFor(settings.format));
    } else {
        file = new LogFile(settings.file, formatterFor(settings.format));
        if (auto error = file->reopen(); !error.empty()) return error;
        channel = file;
    }
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
