// A Poco channel that appends each message as one line to a file, and can reopen the file by
// its path: after logrotate has renamed it away, SIGHUP makes the server write to a new file
// of the same name (docs/config.md, [log] file). Standard error gets the same channel
// (borrowing). The channel formats the line itself (rather than behind a Poco
// FormattingChannel, which copies every message to hand it on).
//
// Lines are written with write(2) on an O_APPEND descriptor, whole, so they never interleave.
// With a flush delay (nginx's access_log buffer/flush), lines below warning wait in a buffer
// for at most that long and the channel's writer thread writes them many per call: the access
// line of every turn and HTTP request would otherwise be a system call on the event loop of
// its own. A warning or worse is written at once by the thread that logs it, after the lines
// that wait, so the order of the lines is always the order they were logged in; so is a line
// that finds the buffer full. close() and reopen() write what waits first.
#pragma once

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Formatter.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace agenthost::log {

class LogFile final : public Poco::Channel {
  public:
    // What waits is written once it reaches this size, by the thread that logs the line.
    static constexpr std::size_t kBufferBytes = 64 * 1024;

    // Each line is `formatter`'s text of the message (the message's text without one).
    // `flushDelay` zero: every line is written by the thread that logs it.
    explicit LogFile(std::string path, Poco::AutoPtr<Poco::Formatter> formatter = nullptr,
                     std::chrono::milliseconds flushDelay = {});
    // Writes to `fd`, which it does not own: reopen() and close() leave it as it is.
    static Poco::AutoPtr<LogFile> borrowing(int fd,
                                            Poco::AutoPtr<Poco::Formatter> formatter = nullptr,
                                            std::chrono::milliseconds flushDelay = {});

    // Opens (or reopens) the file; "" on success, else why it cannot be opened. On failure the
    // previous descriptor, if any, stays in use. Lines logged before go to the previous file.
    std::string reopen();

    void log(const Poco::Message& message) override;
    // Writes what waits, now.
    void flush();
    // Writes what waits, stops the writer thread and closes an owned descriptor. Later lines
    // are written at once (to a borrowed descriptor; an owned one is gone).
    void close() override;

    const std::string& path() const { return path_; }

  private:
    ~LogFile() override;

    void startWriter();
    void writerLoop();
    // Puts `line` in the buffer for the writer; false when there is no writer to write it.
    bool bufferLine(const std::string& line);
    // Writes the lines that wait, then `line` if given, in one call; the caller holds
    // writeMutex_.
    void writeWaitingLocked(const std::string* line = nullptr);
    // Writes `text` whole to fd_; the caller holds writeMutex_.
    void writeLocked(const std::string& text);

    const std::string path_;
    Poco::AutoPtr<Poco::Formatter> formatter_;  // set once, at construction
    const std::chrono::milliseconds flushDelay_;

    // Lock order: writeMutex_, then bufferMutex_. A line that waits takes only bufferMutex_, so
    // a slow disk never holds up the event loop unless the buffer is full.
    std::mutex writeMutex_;  // guards fd_ and writing_, and orders the writes
    int fd_ = -1;
    std::string writing_;  // the lines being written (waiting_'s storage, traded back)
    bool owned_ = true;    // false: borrowing(fd)

    std::mutex bufferMutex_;  // guards waiting_ and stopping_
    std::condition_variable wake_;
    std::string waiting_;  // whole lines, not yet written
    bool stopping_ = false;
    std::thread writer_;  // only with a flush delay; joined by close()
};

}  // namespace agenthost::log
