#include "log/LogFile.h"

#include <Poco/Message.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace agenthost::log {

LogFile::LogFile(std::string path, Poco::AutoPtr<Poco::Formatter> formatter,
                 std::chrono::milliseconds flushDelay)
    : path_(std::move(path)), formatter_(std::move(formatter)), flushDelay_(flushDelay) {
    startWriter();
}

Poco::AutoPtr<LogFile> LogFile::borrowing(int fd, Poco::AutoPtr<Poco::Formatter> formatter,
                                          std::chrono::milliseconds flushDelay) {
    Poco::AutoPtr<LogFile> channel(new LogFile("", std::move(formatter), flushDelay));
    std::lock_guard<std::mutex> lock(channel->writeMutex_);
    channel->fd_ = fd;
    channel->owned_ = false;
    return channel;
}

LogFile::~LogFile() {
    close();
}

void LogFile::startWriter() {
    if (flushDelay_.count() > 0) writer_ = std::thread([this] { writerLoop(); });
}

std::string LogFile::reopen() {
    if (!owned_) return "";
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) return "cannot open log file " + path_ + ": " + std::strerror(errno);
    std::lock_guard<std::mutex> lock(writeMutex_);
    if (fd_ >= 0) {
        writeWaitingLocked();
        ::close(fd_);
    }
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
    if (message.getPriority() > Poco::Message::PRIO_WARNING && bufferLine(line)) return;
    std::lock_guard<std::mutex> lock(writeMutex_);
    writeWaitingLocked(&line);
}

bool LogFile::bufferLine(const std::string& line) {
    if (flushDelay_.count() == 0) return false;
    bool wasEmpty = false, full = false;
    {
        std::lock_guard<std::mutex> lock(bufferMutex_);
        if (stopping_) return false;  // no writer any more: the caller writes the line
        wasEmpty = waiting_.empty();
        waiting_ += line;
        full = waiting_.size() >= kBufferBytes;
    }
    if (full) {
        flush();
    } else if (wasEmpty) {
        wake_.notify_one();  // only the first line of a batch wakes the writer
    }
    return true;
}

void LogFile::flush() {
    std::lock_guard<std::mutex> lock(writeMutex_);
    writeWaitingLocked();
}

void LogFile::close() {
    {
        std::lock_guard<std::mutex> lock(bufferMutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (writer_.joinable()) writer_.join();
    std::lock_guard<std::mutex> lock(writeMutex_);
    writeWaitingLocked();
    if (owned_ && fd_ >= 0) ::close(fd_);
    if (owned_) fd_ = -1;
}

void LogFile::writerLoop() {
    ::pthread_setname_np(::pthread_self(), "log-writer");
    std::unique_lock<std::mutex> lock(bufferMutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
        // Let the lines of the next few milliseconds join this one; close() cuts it short.
        wake_.wait_for(lock, flushDelay_, [this] { return stopping_; });
        if (stopping_) return;  // close() writes what waits
        lock.unlock();
        flush();
        lock.lock();
    }
}

void LogFile::writeWaitingLocked(const std::string* line) {
    {
        // The two buffers trade places and keep their capacity: no allocation per batch.
        std::lock_guard<std::mutex> lock(bufferMutex_);
        writing_.swap(waiting_);
    }
    if (writing_.empty() && line) return writeLocked(*line);
    if (line) writing_ += *line;
    writeLocked(writing_);
    writing_.clear();
    // A huge line (a message's text, with log_content) is not worth keeping room for.
    if (writing_.capacity() > 4 * kBufferBytes) std::string().swap(writing_);
}

void LogFile::writeLocked(const std::string& text) {
    if (fd_ < 0) return;
    for (std::size_t written = 0; written < text.size();) {
        const ssize_t n = ::write(fd_, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // a full disk loses log lines, not the server
        written += static_cast<std::size_t>(n);
    }
}

}  // namespace agenthost::log
