// One thread driving libcurl's multi interface: every transfer of a plugin instance shares it,
// so 500 concurrent streams cost 500 sockets, not 500 threads, and the multi handle's connection
// cache lets consecutive requests reuse connections (and HTTP/2 multiplex them).
//
// Other threads talk to the loop only through post(), which wakes curl_multi_poll() at once
// through an eventfd among its descriptors. Not curl_multi_wakeup: its socketpair wakes the loop
// as if the poster were about to sleep (a "sync" wake-up), so the scheduler queues the loop
// thread behind the poster on the poster's CPU, and a host thread goes on working after it
// starts a request (about 25 µs of the time to first chunk on a 2-vCPU VM). Everything else is
// for tasks already running on the loop thread.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace agenthost::claude {

class CurlMultiLoop {
  public:
    using Clock = std::chrono::steady_clock;
    using Task = std::function<void()>;
    // Called on the loop thread when an attached transfer ends; the handle is already detached.
    using Done = std::function<void(CURLcode)>;

    // `keptConnections`: how many idle connections the loop keeps for later transfers
    // (CURLMOPT_MAXCONNECTS). Not libcurl's default, which sizes the cache at four times the
    // transfers attached when a connection comes back: as a burst of answers ends, the cache
    // shrinks with it and closes their connections one by one, so the next burst pays a new
    // TCP and TLS handshake for each request.
    explicit CurlMultiLoop(long keptConnections);
    ~CurlMultiLoop();  // stop()
    CurlMultiLoop(const CurlMultiLoop&) = delete;
    CurlMultiLoop& operator=(const CurlMultiLoop&) = delete;

    // Any thread: runs `task` on the loop thread soon. Ignored once the loop has stopped.
    void post(Task task);

    // Any thread but the loop's: runs every task posted so far, ends transfers still attached
    // (their Done gets CURLE_ABORTED_BY_CALLBACK), drops pending timers and joins the thread.
    void stop();

    // When a scheduled task is due, and which one it is: cancel() forgets it.
    using TimerId = std::pair<Clock::time_point, std::uint64_t>;

    // Loop thread only.
    TimerId schedule(Clock::time_point when, Task task);
    // Drops a task that has not run yet (nothing if it ran or was cancelled): a timer that is
    // no longer needed must not keep what its task holds until it is due.
    void cancel(const TimerId& timer);
    void attach(CURL* easy, Done done);
    // Takes `easy` out without calling its Done; an unfinished transfer's connection is closed.
    void detach(CURL* easy);

  private:
    void run();
    bool runPosted();  // false once stop() was asked and the queue is empty
    void runDueTimers();
    void collectFinished();
    int pollTimeoutMs() const;
    void abortAttached();
    void wake();
    void drainWakeups();

    CURLM* multi_;
    int wakeFd_;  // eventfd: post() and stop() write, the loop reads
    std::mutex mutex_;
    std::vector<Task> posted_;
    bool stopRequested_ = false;
    bool stopped_ = false;

    // Loop-thread state.
    std::map<TimerId, Task> timers_;
    std::uint64_t lastTimer_ = 0;
    std::unordered_map<CURL*, Done> attached_;

    std::thread thread_;
};

}  // namespace agenthost::claude
