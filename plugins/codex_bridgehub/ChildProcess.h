// One child program in its own process group, connected to us by three pipes and nothing else.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace codex_bridgehub {

struct SpawnOptions {
    std::vector<std::string> argv;  // argv[0] is the program: a path, or a name found on PATH
    std::vector<std::pair<std::string, std::string>> extraEnv;  // added to (or replacing) ours
    std::string workdir;                                        // empty: our own
};

// How the child ended.
struct ExitStatus {
    bool signalled = false;
    int code = 0;  // the exit code, or the signal number when signalled
    bool success() const { return !signalled && code == 0; }
    std::string describe() const;  // "exit status 3" or "killed by signal 9 (Killed)"
};

// The program could not be started (not found, not executable, bad workdir, ...).
class SpawnError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Starts the program with posix_spawn in a new process group whose leader it is. The child gets
// exactly fds 0, 1 and 2 (pipes to us; every other fd is closed for it), default signal
// dispositions and an empty signal mask. Our ends of the pipes are non-blocking and
// close-on-exec. The destructor terminates the group and reaps the child if that has not
// happened yet, so a ChildProcess never leaves a zombie behind.
class ChildProcess {
  public:
    explicit ChildProcess(const SpawnOptions& options);  // throws SpawnError
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }
    int stdinFd() const { return stdin_; }  // -1 once closed
    int stdoutFd() const { return stdout_; }
    int stderrFd() const { return stderr_; }
    void closeStdin() { closeFd(stdin_); }
    void closeStdout() { closeFd(stdout_); }
    void closeStderr() { closeFd(stderr_); }

    // Reaps the child if it has exited; never blocks. True once it has been reaped.
    bool tryReap();
    bool reaped() const { return status_.has_value(); }
    const std::optional<ExitStatus>& status() const { return status_; }

    // Ends the whole process group: SIGTERM, up to `grace` for it to go away, then SIGKILL.
    // Reaps the leader. Returns at once when the group is already gone.
    void terminateGroup(std::chrono::milliseconds grace);

  private:
    static void closeFd(int& fd);
    bool groupAlive() const;
    void signalAll(int signal) const;
    void reapBlocking();

    pid_t pid_ = -1;
    int stdin_ = -1;
    int stdout_ = -1;
    int stderr_ = -1;
    std::optional<ExitStatus> status_;
};

}  // namespace codex_bridgehub
