// log::LogFile with a flush delay ([log] flush_ms): lines below warning wait and go out many per
// write(2), a warning goes out at once after them, a full buffer is written by the thread that
// fills it, close() and reopen() write what waits, and lines of many threads stay whole and in
// order. The channel borrows one end of a SOCK_SEQPACKET socket pair, on which every write(2)
// arrives as one message: the test sees each call the channel made.
#include <Poco/Message.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "log/LogFile.h"
#include "support/TempDir.h"

namespace agenthost::log {
namespace {

using namespace std::chrono_literals;

// Long enough that the writer never fires on its own within a test that relies on it not to.
constexpr auto kNever = std::chrono::milliseconds(600'000);

// One end of a SOCK_SEQPACKET pair for the channel, the other for the test to read whole writes.
class Writes {
  public:
    Writes() {
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds_), 0);
        const int size = 4 << 20;  // room for every write a test makes, unread
        ::setsockopt(fds_[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        ::setsockopt(fds_[1], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    ~Writes() {
        ::close(fds_[0]);
        ::close(fds_[1]);
    }
    int channelEnd() const { return fds_[0]; }

    // The next write(2) the channel made, or "" when none comes within `timeout`.
    std::string next(std::chrono::milliseconds timeout = 10s) {
        pollfd readable{fds_[1], POLLIN, 0};
        if (::poll(&readable, 1, static_cast<int>(timeout.count())) != 1) return "";
        std::string message(1 << 20, '\0');
        const ssize_t n = ::recv(fds_[1], message.data(), message.size(), 0);
        message.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
        return message;
    }
    // Every write until the channel's end is shut down, read as they come (so that no write
    // waits on a full socket buffer).
    std::thread collect(std::vector<std::string>& into) {
        return std::thread([this, &into] {
            for (std::string write; !(write = next(60s)).empty();) into.push_back(write);
        });
    }
    void endWrites() { ::shutdown(fds_[0], SHUT_WR); }
    // True when no write is there to read.
    bool none() {
        pollfd readable{fds_[1], POLLIN, 0};
        return ::poll(&readable, 1, 0) == 0;
    }

  private:
    int fds_[2] = {-1, -1};
};

Poco::Message message(const std::string& text, Poco::Message::Priority priority) {
    return Poco::Message("agenthost.test", text, priority);
}

void info(LogFile& channel, const std::string& text) {
    channel.log(message(text, Poco::Message::PRIO_INFORMATION));
}

TEST(LogFile, WithoutAFlushDelayEveryLineIsOneWrite) {
    Writes writes;
    auto channel = LogFile::borrowing(writes.channelEnd());
    info(*channel, "one");
    info(*channel, "two");
    EXPECT_EQ(writes.next(), "one\n");
    EXPECT_EQ(writes.next(), "two\n");
}

TEST(LogFile, LinesBelowWarningWaitAndGoOutTogether) {
    Writes writes;
    auto channel = LogFile::borrowing(writes.channelEnd(), nullptr, kNever);
    std::string expected;
    for (int i = 0; i < 100; ++i) {
        info(*channel, "line " + std::to_string(i));
        expected += "line " + std::to_string(i) + "\n";
    }
    EXPECT_TRUE(writes.none()) << "a line was written before its delay";
    channel->close();
    EXPECT_EQ(writes.next(), expected) << "all lines in one write, in order";
    EXPECT_TRUE(writes.none());
}

TEST(LogFile, TheWriterWritesWhatWaitsAfterTheDelay) {
    Writes writes;
    auto channel = LogFile::borrowing(writes.channelEnd(), nullptr, 20ms);
    info(*channel, "first");
    info(*channel, "second");
    std::string written;
    while (written.size() < 13) {
        const auto write = writes.next();
        ASSERT_FALSE(write.empty()) << "nothing written after the delay; so far: " << written;
        written += write;
    }
    EXPECT_EQ(written, "first\nsecond\n");
    info(*channel, "third");  // the writer waits for the next batch
    EXPECT_EQ(writes.next(), "third\n");
}

TEST(LogFile, AWarningIsWrittenAtOnceAfterTheLinesThatWait) {
    Writes writes;
    auto channel = LogFile::borrowing(writes.channelEnd(), nullptr, kNever);
    info(*channel, "a");
    channel->log(message("debug b", Poco::Message::PRIO_DEBUG));
    channel->log(message("warning c", Poco::Message::PRIO_WARNING));
    EXPECT_EQ(writes.next(), "a\ndebug b\nwarning c\n");
    channel->log(message("error d", Poco::Message::PRIO_ERROR));
    EXPECT_EQ(writes.next(), "error d\n");
    info(*channel, "e");
    EXPECT_TRUE(writes.none());
}

TEST(LogFile, AFullBufferIsWrittenByTheThreadThatFillsIt) {
    Writes writes;
    auto channel = LogFile::borrowing(writes.channelEnd(), nullptr, kNever);
    const std::string line(1000, 'x');
    std::size_t logged = 0;
    while (logged < LogFile::kBufferBytes) {
        EXPECT_TRUE(writes.none()) << "written before the buffer was full, at " << logged;
        info(*channel, line);
        logged += line.size() + 1;
    }
    EXPECT_EQ(writes.next(0ms).size(), logged);
}

TEST(LogFile, ReopenWritesWhatWaitsToThePreviousFile) {
    test::TempDir folder;
    const std::string path = folder.file("agenthost.log");
    const std::string rotated = path + ".1";
    Poco::AutoPtr<LogFile> channel(new LogFile(path, nullptr, kNever));
    ASSERT_EQ(channel->reopen(), "");
    info(*channel, "before the rotation");
    ASSERT_EQ(std::rename(path.c_str(), rotated.c_str()), 0);
    ASSERT_EQ(channel->reopen(), "");
    info(*channel, "after the rotation");
    channel->close();
    EXPECT_EQ(test::readFile(rotated), "before the rotation\n");
    EXPECT_EQ(test::readFile(path), "after the rotation\n");
}

TEST(LogFile, AfterCloseABorrowedDescriptorGetsEachLineAtOnce) {
    Writes writes;
    auto channel = LogFile::borrowing(writes.channelEnd(), nullptr, kNever);
    info(*channel, "waiting");
    channel->close();
    EXPECT_EQ(writes.next(), "waiting\n");
    info(*channel, "late");
    EXPECT_EQ(writes.next(0ms), "late\n");
}

TEST(LogFile, LinesOfManyThreadsStayWholeAndInTheirOrder) {
    constexpr int kThreads = 8, kLines = 2000;
    Writes writes;
    std::vector<std::string> batches;
    std::thread reader = writes.collect(batches);
    auto channel = LogFile::borrowing(writes.channelEnd(), nullptr, 1ms);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&channel, t] {
            for (int i = 0; i < kLines; ++i) {
                const auto priority =
                    i % 97 == 0 ? Poco::Message::PRIO_WARNING : Poco::Message::PRIO_INFORMATION;
                channel->log(message(std::to_string(t) + " " + std::to_string(i), priority));
            }
        });
    }
    for (auto& thread : threads) thread.join();
    channel->close();
    writes.endWrites();
    reader.join();

    std::vector<int> nextOf(kThreads, 0);
    int total = 0;
    for (const auto& batch : batches) {
        ASSERT_EQ(batch.back(), '\n') << "a write ended inside a line";
        std::istringstream lines(batch);
        int t = -1, i = -1;
        while (lines >> t >> i) {
            ASSERT_TRUE(t >= 0 && t < kThreads) << batch;
            ASSERT_EQ(i, nextOf[t]) << "thread " << t << "'s lines out of order";
            ++nextOf[t];
            ++total;
        }
    }
    EXPECT_EQ(total, kThreads * kLines);
}

}  // namespace
}  // namespace agenthost::log
