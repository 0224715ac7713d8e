#include "ChildRun.h"

#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <optional>
#include <vector>

#include "StderrTail.h"

namespace codex_bridgehub {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long poll() waits at most, which bounds how late a cancel is noticed.
constexpr int kPollMs = 50;
// After the program exited, how long a process it left behind may keep its pipes open.
constexpr milliseconds kLeftoverGrace{500};

class Pump {
  public:
    Pump(ChildProcess& child, std::string_view input, const RunControl& control)
        : child_(child), input_(input), control_(control) {
        if (input_.empty()) child_.closeStdin();
    }

    // Moves data until both output pipes reached end of file and the program was reaped.
    std::optional<RunResult::End> run() {
        for (;;) {
            if (control_.cancelled && control_.cancelled()) return RunResult::End::Cancelled;
            if (Clock::now() >= control_.deadline) return RunResult::End::TimedOut;
            const bool reaped = child_.tryReap();
            if (reaped && child_.stdoutFd() < 0 && child_.stderrFd() < 0) return std::nullopt;
            stopLeftoversHoldingPipes(reaped);
            pollOnce();
        }
    }

    StderrTail& stderrTail() { return stderr_; }

  private:
    void pollOnce() {
        std::vector<pollfd> fds;
        if (child_.stdinFd() >= 0) fds.push_back({child_.stdinFd(), POLLOUT, 0});
        if (child_.stdoutFd() >= 0) fds.push_back({child_.stdoutFd(), POLLIN, 0});
        if (child_.stderrFd() >= 0) fds.push_back({child_.stderrFd(), POLLIN, 0});
        if (::poll(fds.data(), fds.size(), kPollMs) <= 0) return;
        for (const auto& p : fds) {
            if (p.revents == 0) continue;
            if (p.fd == child_.stdinFd())
                writeInput();
            else if (p.fd == child_.stdoutFd())
                readOutput(true);
            else if (p.fd == child_.stderrFd())
                readOutput(false);
        }
    }

    void writeInput() {
        while (written_ < input_.size()) {
            const ssize_t n =
                ::write(child_.stdinFd(), input_.data() + written_, input_.size() - written_);
            if (n > 0) {
                written_ += static_cast<std::size_t>(n);
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && errno == EAGAIN) {
                return;
            } else {
                break;  // EPIPE: the program does not read its input; that is its business
            }
        }
        child_.closeStdin();
    }

    void readOutput(bool isStdout) {
        std::array<char, 65536> buffer;
        for (int reads = 0; reads < 16; ++reads) {  // bounded, so the other pipes get a turn
            const int fd = isStdout ? child_.stdoutFd() : child_.stderrFd();
            const ssize_t n = ::read(fd, buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) return;
            if (n <= 0) {
                isStdout ? child_.closeStdout() : child_.closeStderr();
                return;
            }
            const std::string_view bytes(buffer.data(), static_cast<std::size_t>(n));
            if (!isStdout) {
                stderr_.append(bytes);
            } else if (control_.onStdout) {
                control_.onStdout(bytes);
            }
        }
    }

    // A program that exited may have left a background process holding our pipes open; after
    // a short grace its process group is ended, so that the pipes reach end of file. A holder
    // that left the group cannot be stopped: after one more grace the pipes are let go.
    void stopLeftoversHoldingPipes(bool reaped) {
        if (!reaped) return;
        const auto now = Clock::now();
        if (!exitedAt_) exitedAt_ = now;
        if (!groupStoppedAt_ && now - *exitedAt_ >= kLeftoverGrace) {
            child_.terminateGroup(control_.killGrace);
            groupStoppedAt_ = Clock::now();
        } else if (groupStoppedAt_ && now - *groupStoppedAt_ >= kLeftoverGrace) {
            child_.closeStdout();
            child_.closeStderr();
        }
    }

    ChildProcess& child_;
    std::string_view input_;
    const RunControl& control_;
    std::size_t written_ = 0;
    StderrTail stderr_;
    std::optional<Clock::time_point> exitedAt_;
    std::optional<Clock::time_point> groupStoppedAt_;
};

}  // namespace

RunResult runChild(const SpawnOptions& options, std::string_view input, const RunControl& control) {
    RunResult result;
    std::optional<ChildProcess> child;
    try {
        child.emplace(options);
    } catch (const SpawnError& e) {
        result.startError = e.what();
        return result;
    }
    Pump pump(*child, input, control);
    const auto stopped = pump.run();
    // Whatever way it ended, nothing of the group outlives the request.
    child->terminateGroup(control.killGrace);
    result.end = stopped.value_or(RunResult::End::Exited);
    if (child->status()) result.status = *child->status();
    result.stderrTail = pump.stderrTail().lines();
    return result;
}

}  // namespace codex_bridgehub
