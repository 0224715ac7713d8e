#include "log/LogFile.h"

#include <Poco/Message.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace agenthost::log {

LogFile::LogFile(std::string path, Poco::AutoPtr<Poco::Formatter> formatter)
    : path_(std::move(path)), formatter_(std::move(formatter)) {}

Poco::AutoPtr<LogFile> LogFile::borrowing(int fd, Poco::AutoPtr<Poco::Formatter> formatter) {
    Poco::AutoPtr<LogFile> channel(new LogFile("", std::move(formatter)));
    channel->fd_ = fd;
    channel->owned_ = false;
    return channel;
}

LogFile::~LogFile() {
    close();
}

std::string LogFile::reopen() {
    if (!owned_) return "";
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) return "cannot open log file " + path_ + ": " + std::strerror(errno);
    std::lock_guard<std::mutex> lock(mutex_);
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    return "";
}

void LogFile::log(const Poco::Message& message) {
    std::string line;
    if (formatter_)
        formatter_->format(message, line);
    else
        line = message.getText();
    line += '\n';
    std::lock_guard<std::mutex> lock(mutex_);
    if (fd_ < 0) return;
    for (std::size_t written = 0; written < line.size();) {
        const ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // a full disk loses log lines, not the server
        written += static_cast<std::size_t>(n);
    }
}

void LogFile::close() {
    if (!owned_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

}  // namespace agenthost::log
