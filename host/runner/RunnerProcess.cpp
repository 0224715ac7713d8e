#include "runner/RunnerProcess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "runner/RunnerMain.h"

extern char** environ;

namespace agenthost::runner {
namespace {

constexpr int kChildFd = 3;

std::runtime_error systemError(const std::string& what, int error) {
    return std::runtime_error("cannot start the plugin runner: " + what + ": " +
                              std::strerror(error));
}

std::string ownExecutable() {
    char path[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) throw systemError("readlink /proc/self/exe", errno);
    return std::string(path, static_cast<std::size_t>(n));
}

// Spawn attributes and file actions, released however spawning goes.
struct SpawnSetup {
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_t actions;
    SpawnSetup(int childFd) {
        posix_spawnattr_init(&attributes);
        posix_spawn_file_actions_init(&actions);
        sigset_t none, defaults;
        sigemptyset(&none);
        sigemptyset(&defaults);
        for (int s : {SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGPIPE, SIGCHLD}) sigaddset(&defaults, s);
        posix_spawnattr_setsigmask(&attributes, &none);
        posix_spawnattr_setsigdefault(&attributes, &defaults);
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        // dup2 onto the fixed number clears close-on-exec there; everything else stays closed.
        posix_spawn_file_actions_adddup2(&actions, childFd, kChildFd);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attributes);
    }
};

}  // namespace

RunnerProcess spawnRunner(const std::string& library) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        throw systemError("socketpair", errno);
    int childFd = pair[1];
    if (childFd == kChildFd) {  // dup2 onto itself would keep close-on-exec set
        childFd = ::fcntl(pair[1], F_DUPFD_CLOEXEC, kChildFd + 1);
        ::close(pair[1]);
    }
    const std::string executable = ownExecutable();
    const std::string fdText = std::to_string(kChildFd);
    std::vector<char*> argv = {const_cast<char*>(executable.c_str()),
                               const_cast<char*>(kRunnerFlag), const_cast<char*>(fdText.c_str()),
                               const_cast<char*>(library.c_str()), nullptr};
    RunnerProcess process;
    int error;
    {
        SpawnSetup setup(childFd);
        error = ::posix_spawn(&process.pid, executable.c_str(), &setup.actions, &setup.attributes,
                              argv.data(), environ);
    }
    ::close(childFd);
    if (error != 0) {
        ::close(pair[0]);
        throw systemError("posix_spawn " + executable, error);
    }
    process.fd = pair[0];
    ::fcntl(process.fd, F_SETFL, ::fcntl(process.fd, F_GETFL) | O_NONBLOCK);
    return process;
}

std::string reapRunner(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return "vanished (" + std::string(std::strerror(errno)) + ")";
    }
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const int signal = WTERMSIG(status);
        const char* abbreviation = ::sigabbrev_np(signal);
        return "killed by signal " + std::to_string(signal) +
               (abbreviation ? " (SIG" + std::string(abbreviation) + ")" : "");
    }
    return "ended";
}

std::uint64_t residentBytes(pid_t pid) {
    std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
    std::uint64_t size = 0, resident = 0;
    if (!(statm >> size >> resident)) return 0;
    return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace agenthost::runner
