#include "runner/Sandbox.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace agenthost::runner {
namespace {

std::string failed(const char* what) {
    return std::string(what) + ": " + std::strerror(errno);
}

// close_range(2) where the kernel has it (5.9+), else one close per possible descriptor.
void closeFrom(unsigned first, unsigned last) {
    if (first > last) return;
#ifdef SYS_close_range
    if (::syscall(SYS_close_range, first, last, 0) == 0) return;
#endif
    const long open = ::sysconf(_SC_OPEN_MAX);
    for (long fd = first; fd <= last && fd < (open > 0 ? open : 65536); ++fd)
        ::close(static_cast<int>(fd));
}

}  // namespace

std::string dropInheritance(int keep) {
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0) return failed("open /dev/null");
    if (::dup2(null, 0) < 0) return failed("dup2 stdin");
    if (null != 0) ::close(null);
    // stdout and stderr stay the host's: what the plugin prints lands where the host's does.
    const auto k = static_cast<unsigned>(keep);
    closeFrom(3, k - 1);
    closeFrom(k + 1, ~0u);
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return failed("PR_SET_NO_NEW_PRIVS");
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) return failed("PR_SET_PDEATHSIG");
    // The host blocks the signals it waits for in every thread; the runner wants them back.
    sigset_t all;
    sigemptyset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    for (int s : {SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGPIPE}) ::signal(s, SIG_DFL);
    ::signal(SIGPIPE, SIG_IGN);  // a write to a host that left fails instead
    return "";
}

std::string applyLimits(const RunnerLimits& limits) {
    if (limits.cpuSeconds > 0) {
        const rlimit cpu{limits.cpuSeconds, limits.cpuSeconds + 1};
        if (::setrlimit(RLIMIT_CPU, &cpu) != 0) return failed("RLIMIT_CPU");
    }
    if (limits.openFiles > 0) {
        const rlimit files{limits.openFiles, limits.openFiles};
        if (::setrlimit(RLIMIT_NOFILE, &files) != 0) return failed("RLIMIT_NOFILE");
    }
    return "";
}

}  // namespace agenthost::runner
