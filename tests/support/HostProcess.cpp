#include "support/HostProcess.h"

#include <Poco/File.h>
#include <Poco/Net/ServerSocket.h>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/Tls.h"

extern char** environ;

namespace agenthost::test {
namespace {

std::string renderConfig(const HostConfig& config, std::uint16_t port, const TempDir& dir) {
    // The test's [server] lines replace the harness's: a key set twice is a config error.
    std::map<std::string, std::string> server = {
        {"host", "127.0.0.1"}, {"port", std::to_string(port)}, {"state_dir", dir.file("state")}};
    for (const auto& [key, value] : config.server) server[key] = value;
    std::ostringstream ini;
    ini << "[server]\n";
    for (const auto& [key, value] : server) ini << key << " = " << value << "\n";
    if (testsUseTls() && !config.server.count("tls_cert")) {  // the suite over wss://
        if (!Poco::File(dir.file("harness-cert.pem")).exists()) makeCertificate(dir, "harness");
        ini << "tls_cert = " << dir.file("harness-cert.pem")
            << "\ntls_key = " << dir.file("harness-key.pem") << "\n";
    }
    ini << "\n[plugins]\ndirectory = " << config.pluginDirectory << "\n";
    for (const auto& [key, value] : config.plugins) ini << key << " = " << value << "\n";
    ini << "\n" << config.sections << "\n";
    return ini.str();
}

int decodeStatus(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

// The test's own environment with `extra` added (replacing variables of the same name), as
// NAME=value strings.
std::vector<std::string> environmentWith(const std::map<std::string, std::string>& extra) {
    std::vector<std::string> entries;
    for (char** e = environ; *e; ++e) {
        const std::string entry = *e;
        if (!extra.count(entry.substr(0, entry.find('=')))) entries.push_back(entry);
    }
    for (const auto& [name, value] : extra) entries.push_back(name + "=" + value);
    return entries;
}

// Starts `argv` with stdout and stderr appended to `logPath`; stdin from /dev/null.
pid_t spawnLogged(const std::vector<std::string>& argv, const std::string& logPath,
                  const std::map<std::string, std::string>& environment) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    // The server must start with no signals blocked, as from a shell.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const std::vector<std::string> envEntries = environmentWith(environment);
    std::vector<char*> env;
    for (const auto& e : envEntries) env.push_back(const_cast<char*>(e.c_str()));
    env.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, args[0], &actions, &attributes, args.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
    return pid;
}

}  // namespace

std::uint16_t freePort() {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    return socket.address().port();
}

HostProcess::HostProcess(const HostConfig& config)
    : launcher_(config.launcher), environment_(config.environment) {
    port_ = freePort();
    configPath_ = dir_.file("agenthost.ini");
    logPath_ = dir_.file("agenthost.log");
    writeConfig(config);
    start();
}

HostProcess::~HostProcess() {
    if (running()) {
        // A clean stop exits 0; anything else (a sanitizer's report at exit, a hang) is a bug.
        const int status = stop(SIGTERM);
        EXPECT_EQ(status, 0) << "agenthost did not stop cleanly; its output:\n" << output();
    } else if (!stopRequested_) {
        // It died on its own (a crash, or a sanitizer report): show why.
        std::cerr << "agenthost exited unexpectedly with status " << exitStatus_
                  << "; its output:\n"
                  << output() << std::endl;
    }
}

void HostProcess::writeConfig(const HostConfig& config) {
    writeConfigText(renderConfig(config, port_, dir_));
}

void HostProcess::writeConfigText(const std::string& text) {
    // Write a new file and rename it over the old one, as an editor would.
    const std::string next = dir_.write("agenthost.ini.next", text);
    std::rename(next.c_str(), configPath_.c_str());
}

void HostProcess::start() {
    const auto& launcher = launcher_;
    std::vector<std::string> argv = launcher;
    argv.push_back(agenthostBinary());
    argv.push_back("--config=" + configPath_);
    pid_ = spawnLogged(argv, logPath_, environment_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        if (!running()) throw std::runtime_error("agenthost exited during startup:\n" + output());
        try {
            if (get("/api/health").status == 200) return;
        } catch (const std::exception&) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("agenthost did not answer /api/health:\n" + output());
}

std::string HostProcess::output() const {
    return readFile(logPath_);
}

bool HostProcess::waitForOutput(const std::string& text, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
        if (output().find(text) != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
}

void HostProcess::signal(int signal) const {
    if (pid_ > 0) ::kill(pid_, signal);
}

void HostProcess::restart() {
    if (running()) throw std::logic_error("restart() of a running agenthost: stop() it first");
    exitStatus_ = -1;
    stopRequested_ = false;
    start();
}

bool HostProcess::running() const {
    if (pid_ <= 0 || exitStatus_ >= 0) return false;
    int status = 0;
    const pid_t rc = ::waitpid(pid_, &status, WNOHANG);
    if (rc == pid_) {
        const_cast<HostProcess*>(this)->exitStatus_ = decodeStatus(status);
        return false;
    }
    return rc == 0;
}

int HostProcess::stop(int signal, std::chrono::seconds timeout) {
    stopRequested_ = true;
    if (!running()) return exitStatus_;
    ::kill(pid_, signal);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (running()) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        exitStatus_ = decodeStatus(status);
    }
    return exitStatus_;
}

HttpResult HostProcess::get(const std::string& path, const HttpHeaders& headers) const {
    return httpRequest(port_, "GET", path, headers);
}

HttpResult HostProcess::request(const std::string& method, const std::string& path,
                                const HttpHeaders& headers) const {
    return httpRequest(port_, method, path, headers);
}

long HostProcess::statusField(const std::string& field) const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    const std::string prefix = field + ":";
    for (std::string line; std::getline(in, line);)
        if (line.rfind(prefix, 0) == 0) return std::stol(line.substr(prefix.size()));
    return -1;
}

long HostProcess::rssKb() const {
    return statusField("VmRSS");
}

std::string HostProcess::rssParts() const {
    return "anon " + std::to_string(statusField("RssAnon")) + " kB, file " +
           std::to_string(statusField("RssFile")) + " kB, shmem " +
           std::to_string(statusField("RssShmem")) + " kB";
}

int HostProcess::threadCount() const {
    return static_cast<int>(statusField("Threads"));
}

long HostProcess::threadWakeups(const std::string& name) const {
    const std::string tasks = "/proc/" + std::to_string(pid_) + "/task";
    long total = -1;
    DIR* d = ::opendir(tasks.c_str());
    if (d == nullptr) return -1;
    while (auto* entry = ::readdir(d)) {
        if (entry->d_name[0] == '.') continue;
        const std::string task = tasks + "/" + entry->d_name;
        std::string comm;
        std::getline(std::ifstream(task + "/comm"), comm);
        if (comm != name) continue;
        std::ifstream status(task + "/status");
        for (std::string line; std::getline(status, line);)
            if (line.rfind("voluntary_ctxt_switches:", 0) == 0)
                total = std::max(total, 0L) + std::stol(line.substr(24));
    }
    ::closedir(d);
    return total;
}

long HostProcess::threadWakeupsDuring(const std::string& name,
                                      std::chrono::milliseconds period) const {
    const long before = threadWakeups(name);
    std::this_thread::sleep_for(period);
    return threadWakeups(name) - before;
}

int HostProcess::fdCount() const {
    int count = 0;
    if (DIR* d = ::opendir(("/proc/" + std::to_string(pid_) + "/fd").c_str())) {
        while (auto* entry = ::readdir(d))
            if (entry->d_name[0] != '.') ++count;
        ::closedir(d);
    }
    return count;
}

CommandResult runAgenthost(const std::string& args) {
    TempDir dir;
    const std::string log = dir.file("out.log");
    std::vector<std::string> argv{agenthostBinary()};
    std::istringstream words(args);
    for (std::string w; words >> w;) argv.push_back(w);
    const pid_t pid = spawnLogged(argv, log, {});
    int status = 0;
    ::waitpid(pid, &status, 0);
    return {decodeStatus(status), readFile(log)};
}

}  // namespace agenthost::test
