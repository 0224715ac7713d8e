#include "CurlMultiLoop.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

namespace agenthost::claude {
namespace {

// The longest a loop sleeps with nothing to do. post() always wakes it through the eventfd, and
// curl_multi_poll wakes for curl's own timeouts: this only bounds the damage of a wake-up that
// should never be missed, so an idle instance does not wake every second for it.
constexpr int kMaxPollMs = 60'000;

// A task that throws must not end the loop (std::terminate) for every other transfer.
void runSafely(const std::function<void()>& task) {
    try {
        task();
    } catch (...) {
    }
}

}  // namespace

CurlMultiLoop::CurlMultiLoop(long keptConnections)
    : multi_(curl_multi_init()), wakeFd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (multi_ == nullptr || wakeFd_ < 0) {
        if (multi_ != nullptr) curl_multi_cleanup(multi_);
        if (wakeFd_ >= 0) ::close(wakeFd_);
        throw std::runtime_error("cannot create the curl loop's multi handle or eventfd");
    }
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, keptConnections);
    thread_ = std::thread([this] { run(); });
}

CurlMultiLoop::~CurlMultiLoop() {
    stop();
    curl_multi_cleanup(multi_);
    ::close(wakeFd_);
}

void CurlMultiLoop::wake() {
    const std::uint64_t one = 1;
    // Fails only when the counter is full, and then the loop is awake anyway.
    [[maybe_unused]] const auto written = ::write(wakeFd_, &one, sizeof one);
}

void CurlMultiLoop::drainWakeups() {
    std::uint64_t count;
    [[maybe_unused]] const auto read = ::read(wakeFd_, &count, sizeof count);
}

void CurlMultiLoop::post(Task task) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopped_) return;
        posted_.push_back(std::move(task));
    }
    wake();
}

void CurlMultiLoop::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopRequested_ = true;
    }
    wake();
    if (thread_.joinable()) thread_.join();
}

CurlMultiLoop::TimerId CurlMultiLoop::schedule(Clock::time_point when, Task task) {
    const TimerId timer{when, ++lastTimer_};
    timers_.emplace(timer, std::move(task));
    return timer;
}

void CurlMultiLoop::cancel(const TimerId& timer) {
    timers_.erase(timer);
}

void CurlMultiLoop::attach(CURL* easy, Done done) {
    attached_[easy] = std::move(done);
    const CURLMcode rc = curl_multi_add_handle(multi_, easy);
    if (rc != CURLM_OK) {
        attached_.erase(easy);
        throw std::runtime_error(std::string("curl_multi_add_handle: ") + curl_multi_strerror(rc));
    }
}

void CurlMultiLoop::detach(CURL* easy) {
    if (attached_.erase(easy) != 0) curl_multi_remove_handle(multi_, easy);
}

void CurlMultiLoop::run() {
    ::pthread_setname_np(::pthread_self(), "claude-curl");
    while (runPosted()) {
        runDueTimers();
        int running = 0;
        curl_multi_perform(multi_, &running);
        collectFinished();
        curl_waitfd wakeup{wakeFd_, CURL_WAIT_POLLIN, 0};
        curl_multi_poll(multi_, &wakeup, 1, pollTimeoutMs(), nullptr);
        if (wakeup.revents != 0) drainWakeups();
    }
    abortAttached();
    timers_.clear();
}

bool CurlMultiLoop::runPosted() {
    for (;;) {
        std::vector<Task> tasks;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (posted_.empty()) {
                if (stopRequested_) stopped_ = true;
                return !stopped_;
            }
            tasks.swap(posted_);
        }
        for (auto& task : tasks) runSafely(task);
    }
}

void CurlMultiLoop::runDueTimers() {
    const auto now = Clock::now();
    while (!timers_.empty() && timers_.begin()->first.first <= now) {
        Task task = std::move(timers_.begin()->second);
        timers_.erase(timers_.begin());
        runSafely(task);
    }
}

void CurlMultiLoop::collectFinished() {
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
        if (message->msg != CURLMSG_DONE) continue;
        CURL* easy = message->easy_handle;
        const CURLcode result = message->data.result;
        auto it = attached_.find(easy);
        if (it == attached_.end()) continue;
        Done done = std::move(it->second);
        detach(easy);  // `message` is invalid from here on
        runSafely([&] { done(result); });
    }
}

int CurlMultiLoop::pollTimeoutMs() const {
    // curl_multi_poll also wakes for curl's own timeouts, so only our timers matter here.
    if (timers_.empty()) return kMaxPollMs;
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
                          timers_.begin()->first.first - Clock::now())
                          .count();
    return static_cast<int>(std::clamp<long long>(wait + 1, 0, kMaxPollMs));
}

void CurlMultiLoop::abortAttached() {
    while (!attached_.empty()) {
        auto it = attached_.begin();
        CURL* easy = it->first;
        Done done = std::move(it->second);
        detach(easy);
        runSafely([&] { done(CURLE_ABORTED_BY_CALLBACK); });
    }
}

}  // namespace agenthost::claude
