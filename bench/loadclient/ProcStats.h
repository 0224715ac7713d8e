// What the kernel says about a server process: resident memory, threads, open files, CPU time.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace agenthost::bench {

struct ProcSample {
    long rssKb = -1;              // VmRSS
    int threads = -1;             // Threads
    int fds = -1;                 // entries in /proc/<pid>/fd
    double cpuMs = -1;            // utime + stime of all threads, in milliseconds
    long long writtenBytes = -1;  // wchar of /proc/<pid>/io: bytes given to write() and kin
};

// Reads /proc/<pid>; fields it cannot read stay -1.
ProcSample sampleProcess(pid_t pid);

}  // namespace agenthost::bench
