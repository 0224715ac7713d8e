// A Poco channel that appends each message as one line to a file, and can reopen the file by
// its path: after logrotate has renamed it away, SIGHUP makes the server write to a new file
// of the same name (docs/config.md, [log] file). One write(2) per line on an O_APPEND
// descriptor, so lines are never interleaved. Standard error gets the same channel (borrowing),
// which writes a line with its newline in one call too. The channel formats the line itself
// (rather than behind a Poco FormattingChannel, which copies every message to hand it on).
#pragma once

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Formatter.h>

#include <mutex>
#include <string>

namespace agenthost::log {

class LogFile final : public Poco::Channel {
  public:
    // Each line is `formatter`'s text of the message (the message's text without one).
    explicit LogFile(std::string path, Poco::AutoPtr<Poco::Formatter> formatter = nullptr);
    // Writes to `fd`, which it does not own: reopen() and close() leave it as it is.
    static Poco::AutoPtr<LogFile> borrowing(int fd,
                                            Poco::AutoPtr<Poco::Formatter> formatter = nullptr);

    // Opens (or reopens) the file; "" on success, else why it cannot be opened. On failure the
    // previous descriptor, if any, stays in use.
    std::string reopen();

    void log(const Poco::Message& message) override;
    void close() override;

    const std::string& path() const { return path_; }

  private:
    ~LogFile() override;

    const std::string path_;
    Poco::AutoPtr<Poco::Formatter> formatter_;  // set once, at construction
    std::mutex mutex_;                          // guards fd_
    int fd_ = -1;
    bool owned_ = true;  // false: borrowing(fd)
};

}  // namespace agenthost::log
