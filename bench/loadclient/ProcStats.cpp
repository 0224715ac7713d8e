#include "ProcStats.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace agenthost::bench {
namespace {

void readStatus(const std::string& dir, ProcSample& sample) {
    std::ifstream in(dir + "/status");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("VmRSS:", 0) == 0) sample.rssKb = std::stol(line.substr(6));
        if (line.rfind("Threads:", 0) == 0) sample.threads = std::stoi(line.substr(8));
    }
}

// utime and stime are fields 14 and 15 of /proc/<pid>/stat, counted after the ")" that ends
// the command name (which may itself contain spaces).
void readCpu(const std::string& dir, ProcSample& sample) {
    std::ifstream in(dir + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto end = stat.rfind(')');
    if (end == std::string::npos) return;
    std::istringstream fields(stat.substr(end + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int index = 3; fields >> field; ++index) {
        if (index == 14) utime = std::stoull(field);
        if (index == 15) {
            stime = std::stoull(field);
            sample.cpuMs = 1000.0 * static_cast<double>(utime + stime) /
                           static_cast<double>(::sysconf(_SC_CLK_TCK));
            return;
        }
    }
}

// wchar counts write(), pwrite() and the like on files; send() on a socket does not count, so
// for the host it is what its store and log write.
void readIo(const std::string& dir, ProcSample& sample) {
    std::ifstream in(dir + "/io");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("wchar:", 0) == 0) sample.writtenBytes = std::stoll(line.substr(6));
}

int countFds(const std::string& dir) {
    DIR* d = ::opendir((dir + "/fd").c_str());
    if (!d) return -1;
    int count = 0;
    while (auto* entry = ::readdir(d))
        if (entry->d_name[0] != '.') ++count;
    ::closedir(d);
    return count;
}

}  // namespace

ProcSample sampleProcess(pid_t pid) {
    ProcSample sample;
    const std::string dir = "/proc/" + std::to_string(pid);
    readStatus(dir, sample);
    readCpu(dir, sample);
    readIo(dir, sample);
    sample.fds = countFds(dir);
    return sample;
}

}  // namespace agenthost::bench
