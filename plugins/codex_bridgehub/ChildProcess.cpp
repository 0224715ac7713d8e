#include "ChildProcess.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

extern char** environ;

namespace codex_bridgehub {
namespace {

using Clock = std::chrono::steady_clock;

// Owns the pipe fds until they are handed to the ChildProcess (or closes them on failure).
struct Pipe {
    int read = -1;
    int write = -1;
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            throw SpawnError(std::string("cannot create a pipe: ") + std::strerror(errno));
        read = fds[0];
        write = fds[1];
    }
    ~Pipe() {
        if (read >= 0) ::close(read);
        if (write >= 0) ::close(write);
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    int release(int& fd) {
        int out = fd;
        fd = -1;
        return out;
    }
};

// RAII wrappers for the posix_spawn attribute objects.
struct FileActions {
    posix_spawn_file_actions_t actions;
    FileActions() { posix_spawn_file_actions_init(&actions); }
    ~FileActions() { posix_spawn_file_actions_destroy(&actions); }
};

struct Attributes {
    posix_spawnattr_t attr;
    Attributes() { posix_spawnattr_init(&attr); }
    ~Attributes() { posix_spawnattr_destroy(&attr); }
};

// Our environment with `extra` merged in, as "NAME=value" strings.
std::vector<std::string> childEnvironment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
    std::map<std::string, std::string> merged;
    for (char** entry = environ; entry && *entry; ++entry) {
        const std::string text(*entry);
        const auto eq = text.find('=');
        if (eq != std::string::npos) merged[text.substr(0, eq)] = text.substr(eq + 1);
    }
    for (const auto& [name, value] : extra) merged[name] = value;
    std::vector<std::string> out;
    out.reserve(merged.size());
    for (const auto& [name, value] : merged) out.push_back(name + "=" + value);
    return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

void setNonBlocking(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Reads /proc/PID/stat: "pid (comm) state ppid pgrp ...". comm may hold spaces and ')'.
bool isLiveMember(const char* pid, pid_t group) {
    std::ifstream file(std::string("/proc/") + pid + "/stat");
    std::string stat;
    if (!std::getline(file, stat)) return false;
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return false;
    std::istringstream fields(stat.substr(close + 1));
    char state = 0;
    long parent = 0, pgrp = 0;
    if (!(fields >> state >> parent >> pgrp)) return false;
    return pgrp == group && state != 'Z' && state != 'X';
}

void check(int rc, const char* what) {
    if (rc != 0) throw SpawnError(std::string(what) + ": " + std::strerror(rc));
}

}  // namespace

std::string ExitStatus::describe() const {
    if (!signalled) return "exit status " + std::to_string(code);
    const char* name = ::strsignal(code);
    return "killed by signal " + std::to_string(code) +
           (name ? std::string(" (") + name + ")" : "");
}

ChildProcess::ChildProcess(const SpawnOptions& options) {
    if (options.argv.empty()) throw SpawnError("no program to start");
    Pipe in, out, err;

    FileActions fa;
    check(posix_spawn_file_actions_adddup2(&fa.actions, in.read, 0), "posix_spawn");
    check(posix_spawn_file_actions_adddup2(&fa.actions, out.write, 1), "posix_spawn");
    check(posix_spawn_file_actions_adddup2(&fa.actions, err.write, 2), "posix_spawn");
    if (!options.workdir.empty())
        check(posix_spawn_file_actions_addchdir_np(&fa.actions, options.workdir.c_str()),
              "posix_spawn");
    // Belt and braces: fds of the host that lack close-on-exec must not reach the child either.
    check(posix_spawn_file_actions_addclosefrom_np(&fa.actions, 3), "posix_spawn");

    Attributes at;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    check(posix_spawnattr_setflags(
              &at.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF),
          "posix_spawn");
    check(posix_spawnattr_setpgroup(&at.attr, 0), "posix_spawn");
    check(posix_spawnattr_setsigmask(&at.attr, &none), "posix_spawn");
    check(posix_spawnattr_setsigdefault(&at.attr, &all), "posix_spawn");  // e.g. SIGPIPE

    std::vector<std::string> args = options.argv;
    std::vector<std::string> env = childEnvironment(options.extraEnv);
    auto argv = pointers(args);
    auto envp = pointers(env);
    const std::string& program = options.argv.front();
    const bool searchPath = program.find('/') == std::string::npos;
    const int rc = searchPath ? ::posix_spawnp(&pid_, program.c_str(), &fa.actions, &at.attr,
                                               argv.data(), envp.data())
                              : ::posix_spawn(&pid_, program.c_str(), &fa.actions, &at.attr,
                                              argv.data(), envp.data());
    if (rc != 0) {
        pid_ = -1;
        throw SpawnError("cannot start \"" + program + "\": " + std::strerror(rc));
    }
    stdin_ = in.release(in.write);
    stdout_ = out.release(out.read);
    stderr_ = err.release(err.read);
    setNonBlocking(stdin_);
    setNonBlocking(stdout_);
    setNonBlocking(stderr_);
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0) terminateGroup(std::chrono::milliseconds(2000));
    closeFd(stdin_);
    closeFd(stdout_);
    closeFd(stderr_);
}

void ChildProcess::closeFd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

bool ChildProcess::tryReap() {
    if (status_) return true;
    int raw = 0;
    pid_t r;
    do {
        r = ::waitpid(pid_, &raw, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return false;
    if (r < 0) {  // someone else reaped it (ECHILD); nothing more we can learn
        status_ = ExitStatus{true, SIGKILL};
        return true;
    }
    status_ =
        WIFSIGNALED(raw) ? ExitStatus{true, WTERMSIG(raw)} : ExitStatus{false, WEXITSTATUS(raw)};
    return true;
}

void ChildProcess::reapBlocking() {
    while (!tryReap()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

// Whether a process of the group still runs. Zombies do not count: a member orphaned by the
// leader's exit is reparented to init, and an init that does not reap (as in some containers)
// would otherwise make every stop wait its full grace. While any member exists, even a zombie,
// the kernel keeps the group id reserved, so signalling -pid_ never hits a stranger.
bool ChildProcess::groupAlive() const {
    DIR* proc = ::opendir("/proc");
    if (!proc) return ::kill(-pid_, 0) == 0;
    bool alive = false;
    while (const dirent* entry = ::readdir(proc)) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
        if (isLiveMember(entry->d_name, pid_)) {
            alive = true;
            break;
        }
    }
    ::closedir(proc);
    return alive;
}

void ChildProcess::terminateGroup(std::chrono::milliseconds grace) {
    if (tryReap() && !groupAlive()) return;
    signalAll(SIGTERM);
    const auto deadline = Clock::now() + grace;
    while (Clock::now() < deadline) {
        if (tryReap() && !groupAlive()) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    signalAll(SIGKILL);
    reapBlocking();
}

// The leader is signalled on its own too, in case it moved itself out of the group.
void ChildProcess::signalAll(int signal) const {
    ::kill(-pid_, signal);
    if (!status_) ::kill(pid_, signal);
}

}  // namespace codex_bridgehub
