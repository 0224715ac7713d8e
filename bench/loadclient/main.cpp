// agenthost_loadclient: the load generator of bench/run.sh and bench/conversations/run.sh. One
// thread, epoll, non-blocking sockets, so the same client can hold 10,000 connections or time
// echo round trips against any server of the protocol (agenthost, the aiohttp peer), time the
// replay of resumed conversations, time the conversations HTTP API, time new clients while
// stalled request heads are held open (slowloris), or count TLS handshakes; over TLS with --tls.
//
// Prints one line of key=value results on stdout (run.sh parses it); failures go to stderr.
// Exit status 0 only when every connection and every round trip succeeded.
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "ApiRun.h"
#include "LoadDriver.h"
#include "ProcStats.h"
#include "Stats.h"

namespace agenthost::bench {
namespace {

// Needs one descriptor per connection: take the whole hard limit.
void raiseFileLimit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
}

void addSample(std::ostringstream& out, const std::string& prefix, const ProcSample& sample) {
    out << " " << prefix << "rss_kb=" << sample.rssKb << " " << prefix
        << "threads=" << sample.threads << " " << prefix << "fds=" << sample.fds;
}

void reportFailures(const LoadDriver& driver) {
    for (const auto& [why, count] : driver.failures())
        std::cerr << "loadclient: " << count << " x " << why << "\n";
}

int runIdle(const Options& options, LoadDriver& driver) {
    const auto start = Clock::now();
    const auto ready = driver.establish(options.connections, start + options.timeout);
    const double establishS = std::chrono::duration<double>(Clock::now() - start).count();
    driver.serviceFor(options.settle);
    std::ostringstream out;
    out << "mode=idle connections=" << options.connections << " ready=" << ready
        << " failed=" << driver.failed() << " establish_s=" << fixed(establishS, 2);
    if (options.serverPid > 0) {
        const auto before = sampleProcess(options.serverPid);
        driver.serviceFor(options.hold);
        const auto after = sampleProcess(options.serverPid);
        addSample(out, "", after);
        const double idleCpu =
            (after.cpuMs - before.cpuMs) / std::chrono::duration<double>(options.hold).count();
        out << " idle_cpu_ms_per_s=" << fixed(idleCpu, 1);
    } else {
        driver.serviceFor(options.hold);
    }
    out << " still_open=" << (options.connections - driver.failed());
    std::cout << out.str() << std::endl;
    reportFailures(driver);
    return ready == options.connections && driver.failed() == 0 ? 0 : 1;
}

// Work the run left queued (a store's group commits) may go on after the last reply: waits until
// the server's CPU time stays put (at most one clock tick in each of two 200 ms windows in a
// row), at most options.settleCpu. Returns how long the server kept working, in milliseconds.
double settleCpu(const Options& options, LoadDriver& driver) {
    if (options.settleCpu.count() == 0 || options.serverPid <= 0) return 0;
    constexpr auto kWindow = std::chrono::milliseconds(200);
    const double tickMs = 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
    const auto start = Clock::now();
    auto lastBusy = start;
    double cpu = sampleProcess(options.serverPid).cpuMs;
    for (int quiet = 0; quiet < 2 && Clock::now() - start < options.settleCpu;) {
        driver.serviceFor(kWindow);
        const double now = sampleProcess(options.serverPid).cpuMs;
        if (now - cpu > tickMs) {
            quiet = 0;
            lastBusy = Clock::now();
        } else {
            ++quiet;
        }
        cpu = now;
    }
    return std::chrono::duration<double, std::milli>(lastBusy - start).count();
}

int runEcho(const Options& options, LoadDriver& driver) {
    const auto deadline = Clock::now() + options.timeout;
    const auto ready = driver.establish(options.connections, deadline);
    const auto before = options.serverPid > 0 ? sampleProcess(options.serverPid) : ProcSample{};
    auto result = driver.echo(options.messages, deadline);
    const double settleMs = settleCpu(options, driver);
    const auto after = options.serverPid > 0 ? sampleProcess(options.serverPid) : ProcSample{};
    if (!options.idsFile.empty()) {
        std::ofstream ids(options.idsFile);
        for (const auto& id : driver.conversationIds()) ids << id << "\n";
    }

    std::ostringstream out;
    out << "mode=echo connections=" << options.connections << " ready=" << ready
        << " round_trips=" << result.roundTrips << " failed=" << driver.failed()
        << " seconds=" << fixed(result.seconds, 3)
        << " msgs_per_s=" << fixed(static_cast<double>(result.roundTrips) / result.seconds, 0)
        << " p50_us=" << fixed(percentile(result.latenciesUs, 0.50), 0)
        << " p99_us=" << fixed(percentile(result.latenciesUs, 0.99), 0)
        << " max_us=" << fixed(percentile(result.latenciesUs, 1.0), 0);
    if (options.serverPid > 0) {
        const double cpuMs = after.cpuMs - before.cpuMs;
        out << " server_cpu_ms=" << fixed(cpuMs, 0) << " cpu_us_per_rt="
            << fixed(
                   result.roundTrips ? 1000.0 * cpuMs / static_cast<double>(result.roundTrips) : 0,
                   1);
        if (options.settleCpu.count() > 0) out << " settle_ms=" << fixed(settleMs, 0);
        if (after.writtenBytes >= 0 && before.writtenBytes >= 0 && result.roundTrips > 0)
            out << " written_bytes_per_rt="
                << (after.writtenBytes - before.writtenBytes) /
                       static_cast<long long>(result.roundTrips);
        addSample(out, "", after);
    }
    std::cout << out.str() << std::endl;
    reportFailures(driver);
    const bool complete = result.roundTrips == options.connections * options.messages;
    return complete && driver.failed() == 0 ? 0 : 1;
}

int runResume(const Options& options, LoadDriver& driver) {
    const auto deadline = Clock::now() + options.timeout;
    const auto before = options.serverPid > 0 ? sampleProcess(options.serverPid) : ProcSample{};
    auto result = driver.resume(options.conversation, options.resumes, deadline);
    std::ostringstream out;
    out << "mode=resume by=" << (options.resumeBy == ResumeBy::Url ? "url" : "frame")
        << " resumes=" << options.resumes << " done=" << result.done
        << " failed=" << driver.failed() << " after_seq=" << options.afterSeq
        << " frames=" << result.frames << " p50_ms=" << fixed(percentile(result.millis, 0.5), 1)
        << " max_ms=" << fixed(percentile(result.millis, 1.0), 1)
        << " min_ms=" << fixed(percentile(result.millis, 0.0), 1);
    if (options.serverPid > 0) {
        const auto after = sampleProcess(options.serverPid);
        if (result.done > 0)
            out << " server_cpu_ms_per_resume="
                << fixed((after.cpuMs - before.cpuMs) / static_cast<double>(result.done), 1);
        addSample(out, "", after);
    }
    std::cout << out.str() << std::endl;
    reportFailures(driver);
    return result.done == options.resumes && driver.failed() == 0 ? 0 : 1;
}

// Spaces would end a value of the key=value line.
std::string oneWord(std::string text) {
    for (char& c : text)
        if (c == ' ') c = '_';
    return text.empty() ? "-" : text;
}

int runSlowloris(const Options& options, LoadDriver& driver) {
    const auto deadline = Clock::now() + options.timeout;
    const auto before = options.serverPid > 0 ? sampleProcess(options.serverPid) : ProcSample{};
    const std::size_t held = driver.holdStalledHeads(options.stalled);
    driver.serviceFor(std::chrono::seconds(1));  // the server has taken them in
    const auto stalling = options.serverPid > 0 ? sampleProcess(options.serverPid) : ProcSample{};
    auto result = driver.probe(options.connections, deadline);
    driver.serviceFor(options.hold);
    const StalledHeads& stalled = *driver.stalled();

    std::ostringstream out;
    out << "mode=slowloris stalled=" << options.stalled << " held=" << held
        << " probes=" << options.connections << " done=" << result.done
        << " failed=" << driver.failed() << " p50_ms=" << fixed(percentile(result.millis, 0.5), 2)
        << " p99_ms=" << fixed(percentile(result.millis, 0.99), 2)
        << " max_ms=" << fixed(percentile(result.millis, 1.0), 2)
        << " stalled_closed=" << stalled.closedByServer()
        << " first_closed_age_s=" << fixed(stalled.firstClosedAgeS(), 1)
        << " server_said=" << oneWord(stalled.serverSaid()) << " still_held=" << stalled.held();
    if (options.serverPid > 0) {
        out << " threads_before=" << before.threads << " rss_kb_before=" << before.rssKb;
        addSample(out, "", stalling);
    }
    std::cout << out.str() << std::endl;
    reportFailures(driver);
    return held == options.stalled && result.done == options.connections ? 0 : 1;
}

int runHandshakes(const Options& options, LoadDriver& driver) {
    const auto before = options.serverPid > 0 ? sampleProcess(options.serverPid) : ProcSample{};
    const auto result = driver.handshakes(options.connections, Clock::now() + options.timeout);
    std::ostringstream out;
    out << "mode=handshakes handshakes=" << options.connections << " done=" << result.done
        << " failed=" << driver.failed() << " seconds=" << fixed(result.seconds, 3)
        << " per_s=" << fixed(static_cast<double>(result.done) / result.seconds, 0);
    if (options.serverPid > 0 && result.done > 0) {
        const auto after = sampleProcess(options.serverPid);
        const double cpuUs =
            1000.0 * (after.cpuMs - before.cpuMs) / static_cast<double>(result.done);
        // The server's CPU time per handshake gives its rate on one fully used core, whatever
        // else the machine runs (the client needs about as much CPU per handshake itself).
        out << " server_cpu_ms=" << fixed(after.cpuMs - before.cpuMs, 0)
            << " cpu_us_per_handshake=" << fixed(cpuUs, 1)
            << " per_core_s=" << fixed(cpuUs > 0 ? 1e6 / cpuUs : 0, 0);
        addSample(out, "", after);
    }
    std::cout << out.str() << std::endl;
    reportFailures(driver);
    return result.done == options.connections ? 0 : 1;
}

}  // namespace
}  // namespace agenthost::bench

int main(int argc, char** argv) {
    using namespace agenthost::bench;
    Options options;
    try {
        options = parseOptions(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        return 2;
    }
    raiseFileLimit();
    if (options.mode == Mode::Api) return runApi(options);
    LoadDriver driver(options);
    switch (options.mode) {
        case Mode::Idle:
            return runIdle(options, driver);
        case Mode::Echo:
            return runEcho(options, driver);
        case Mode::Slowloris:
            return runSlowloris(options, driver);
        case Mode::Handshakes:
            return runHandshakes(options, driver);
        default:
            return runResume(options, driver);
    }
}
