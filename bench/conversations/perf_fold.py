"""Folds `perf script -F tid,ip,sym` output (call graphs) into a markdown table: per thread, the
CPU microseconds per round trip spent in each function, inclusive of what it calls, and the
functions that use the CPU themselves (self).

Usage: perf_fold.py PERF_SCRIPT_TXT COST [TOP] [UNIT]
The samples are scaled so that all of them together are COST UNIT (default "µs per round
trip": the load client's measured server CPU per round trip of the profiled run).
"""
import collections
import sys

# Frames every sample has, which say nothing about where the time goes.
NOISE = {"[unknown]", "start_thread", "clone3", "entry_SYSCALL_64_after_hwframe", "do_syscall_64",
         "__raw_callee_save_pvm_irq_enable", "std::function<void ()>::operator()"}
# Besides the top of the list, these are always shown: the host's own functions, SQLite's main
# steps, and where a thread pays the kernel or the allocator.
MARKERS = ("malloc", "cfree@GLIBC_2.2.5", "asm_exc_page_fault", "__send", "__libc_recv",
           "__libc_pwrite", "__libc_pread", "fdatasync", "schedule", "pthread_mutex_lock@@GLIBC_2.2.5",
           "sqlite3_step", "sqlite3BtreeInsert", "sqlite3WalFrames", "sqlite3WalCheckpoint",
           "sqlite3PagerCommitPhaseOne", "sqlite3BtreeIndexMoveto")


def shown(function):
    return function.startswith("agenthost::") or function in MARKERS


# A thread is named after the one of these found in most of its samples (call graphs are cut
# at 8 KiB of stack, so the thread's own entry function is often missing).
ROLES = [("agenthost::store::SqliteStore::writerLoop", "store writer"),
         ("agenthost::net::EventLoop::run", "event loop"),
         ("agenthost::net::Connection::onReadable", "event loop"),
         ("agenthost::core::WorkerPool::work", "worker pool"),
         ("Poco::Net::TCPServer::run", "acceptor")]


def read_samples(path):
    samples, current = [], None
    with open(path, errors="replace") as lines:
        for line in lines:
            line = line.rstrip("\n")
            if not line.strip():
                if current:
                    samples.append(current)
                current = None
            elif not line.startswith("\t"):  # " 8973": a sample's thread (frames follow)
                current = (line.split()[0], [])
            elif current is not None:
                parts = line.split(None, 1)
                current[1].append(parts[1] if len(parts) > 1 else "?")
    if current:
        samples.append(current)
    return samples


def role(stacks):
    seen = collections.Counter(s for stack in stacks for s in set(stack))
    count, name = max((seen[function], name) for function, name in ROLES)
    return name if count > 0 else "other"


def main():
    path, us_per_rt = sys.argv[1], float(sys.argv[2])
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 25
    unit = sys.argv[4] if len(sys.argv) > 4 else "µs per round trip"
    samples = read_samples(path)
    if not samples:
        sys.exit("perf_fold: no samples in " + path)
    scale = us_per_rt / len(samples)
    by_thread = collections.defaultdict(list)
    for tid, stack in samples:
        by_thread[tid].append(stack)
    threads = sorted(by_thread.items(), key=lambda item: -len(item[1]))
    print(f"{len(samples)} samples; {us_per_rt:.1f} {unit} of server CPU in all.\n")
    print(f"| thread | {unit} | share |")
    print("|---|---|---|")
    for tid, stacks in threads:
        if len(stacks) * scale >= 0.1:
            print(f"| {role(stacks)} ({tid}) | {len(stacks) * scale:.1f} | "
                  f"{100 * len(stacks) / len(samples):.0f} % |")
    groups = [("all threads", [stack for _, stack in samples])]
    groups += [(f"{role(stacks)} ({tid})", stacks) for tid, stacks in threads[:2]]
    for title, stacks in groups:
        inclusive, own = collections.Counter(), collections.Counter()
        for stack in stacks:
            if stack:
                own[stack[0]] += 1
            for function in set(stack) - NOISE:
                inclusive[function] += 1
        print(f"\n### {title}: {len(stacks) * scale:.1f} {unit}\n")
        print("| function (the host's, SQLite's main steps, allocator, syscalls) "
              "| inclusive | self |")
        print("|---|---|---|")
        listed = [f for f, _ in inclusive.most_common() if shown(f)][:top]
        for function in listed:
            print(f"| `{function[:100]}` | {inclusive[function] * scale:.2f} | "
                  f"{own[function] * scale:.2f} |")
        print("\nMost self time:", ", ".join(
            f"`{function[:60]}` {count * scale:.2f}" for function, count in own.most_common(8)))


if __name__ == "__main__":
    main()
