#include "plugin/HealthWatch.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace agenthost::plugin {
namespace {

using Clock = std::chrono::steady_clock;

Poco::Logger& logger() {
    return Poco::Logger::get("agenthost.plugin");
}

long secondsSince(Clock::time_point then) {
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - then).count());
}

}  // namespace

std::string healthName(std::uint32_t status) {
    switch (status) {
        case AGENTHOST_HEALTH_OK:
            return "ok";
        case AGENTHOST_HEALTH_DEGRADED:
            return "degraded";
        default:
            return "error";
    }
}

struct HealthWatch::State {
    std::function<Health()> call;
    std::string pluginName;

    std::mutex mutex;
    std::condition_variable changed;
    std::uint64_t wanted = 0;    // calls asked for
    std::uint64_t started = 0;   // calls begun
    std::uint64_t finished = 0;  // calls returned
    bool calling = false;
    bool overrunLogged = false;
    Clock::time_point callStartedAt{};
    Health last;
    bool stopping = false;

    // The plugin's other calls in progress (callBegan), by number.
    struct Call {
        const char* what;
        Clock::time_point startedAt;
        bool logged = false;  // its overrun was logged
    };
    std::chrono::milliseconds callBound{0};
    std::uint64_t lastCall = 0;
    // By number, oldest first; a vector, whose capacity is reused (a call begins on every
    // message).
    std::vector<std::pair<std::uint64_t, Call>> calls;
    // The thread waits with a deadline no later than a call beginning now would be due (see
    // run): callBegan need not wake it. Calls on the hot path (request_start on every message)
    // then cost no thread wake-up each, only one look every callBound while they keep coming.
    bool watching = false;

    Health overrunLocked() const {
        return {AGENTHOST_HEALTH_DEGRADED, "the plugin's health check has not returned for " +
                                               std::to_string(secondsSince(callStartedAt)) + " s"};
    }

    // The oldest call past its bound, if any, makes the health at least degraded.
    Health withOverrunsLocked(Health health) const {
        const Call* oldest = nullptr;
        for (const auto& [number, running] : calls)
            if (Clock::now() - running.startedAt >= callBound &&
                (oldest == nullptr || running.startedAt < oldest->startedAt))
                oldest = &running;
        if (oldest == nullptr) return health;
        const std::string overrun = std::string(oldest->what) + " has not returned for " +
                                    std::to_string(secondsSince(oldest->startedAt)) + " s";
        health.status = std::max(health.status, AGENTHOST_HEALTH_DEGRADED);
        health.detail = health.detail.empty() ? overrun : overrun + "; " + health.detail;
        return health;
    }

    // Logs each call that passed its bound, once; returns when the next one will.
    std::optional<Clock::time_point> logOverrunsLocked() {
        std::optional<Clock::time_point> next;
        for (auto& [number, running] : calls) {
            if (running.logged) continue;
            const auto due = running.startedAt + callBound;
            if (Clock::now() < due) {
                if (!next || due < *next) next = due;
                continue;
            }
            running.logged = true;
            logger().warning("plugin " + pluginName + ": " + running.what +
                             " has not returned for " + std::to_string(callBound.count()) +
                             " ms (it must return promptly); the route reports degraded");
        }
        return next;
    }
};

HealthWatch::HealthWatch(std::function<Health()> call, std::string pluginName,
                         std::chrono::milliseconds callBound)
    : state_(std::make_shared<State>()) {
    state_->call = std::move(call);
    state_->pluginName = std::move(pluginName);
    state_->callBound = callBound;
    thread_ = std::thread(run, state_);
}

HealthWatch::~HealthWatch() {
    stop(std::chrono::milliseconds(0));
}

Health HealthWatch::current(std::chrono::milliseconds timeout) {
    Health health = pluginHealth(timeout);
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->logOverrunsLocked();
    return state_->withOverrunsLocked(std::move(health));
}

std::uint64_t HealthWatch::callBegan(const char* what) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    const std::uint64_t number = ++state_->lastCall;
    state_->calls.emplace_back(number, State::Call{what, Clock::now()});
    if (!state_->watching) state_->changed.notify_all();  // it waits with no deadline: set one
    return number;
}

void HealthWatch::callEnded(std::uint64_t number) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    const auto it = std::find_if(state_->calls.begin(), state_->calls.end(),
                                 [&](const auto& call) { return call.first == number; });
    if (it == state_->calls.end()) return;
    if (it->second.logged)
        logger().information("plugin " + state_->pluginName + ": " + it->second.what +
                             " returned after " +
                             std::to_string(secondsSince(it->second.startedAt)) + " s");
    state_->calls.erase(it);
}

Health HealthWatch::pluginHealth(std::chrono::milliseconds timeout) {
    State& state = *state_;
    std::unique_lock<std::mutex> lock(state.mutex);
    if (state.calling && Clock::now() - state.callStartedAt >= timeout)
        return state.overrunLocked();  // known to hang: no one waits for it again
    // The next call to begin is the first one that knows everything before this request.
    const std::uint64_t mine = state.started + 1;
    state.wanted = std::max(state.wanted, mine);
    state.changed.notify_all();
    const bool answered = state.changed.wait_for(
        lock, timeout, [&] { return state.finished >= mine || state.stopping; });
    if (answered && state.finished >= mine) return state.last;
    if (!state.overrunLogged) {
        state.overrunLogged = true;
        logger().warning("plugin " + state.pluginName + ": instance_health did not return within " +
                         std::to_string(timeout.count()) + " ms; the route reports degraded");
    }
    return state.overrunLocked();
}

bool HealthWatch::stop(std::chrono::milliseconds timeout) {
    if (!thread_.joinable()) return true;
    State& state = *state_;
    std::unique_lock<std::mutex> lock(state.mutex);
    state.stopping = true;
    state.changed.notify_all();
    const bool idle = state.changed.wait_for(lock, timeout, [&] { return !state.calling; });
    lock.unlock();
    if (idle) {
        thread_.join();
        return true;
    }
    logger().error("plugin " + state.pluginName + ": instance_health has not returned for " +
                   std::to_string(secondsSince(state.callStartedAt)) +
                   " s; the instance is left in place rather than destroyed under it");
    thread_.detach();
    return false;
}

void HealthWatch::run(std::shared_ptr<State> statePtr) {
    State& state = *statePtr;
    std::unique_lock<std::mutex> lock(state.mutex);
    std::uint64_t seen = state.lastCall;  // the calls this thread has looked at
    while (true) {
        const auto asked = [&] { return state.stopping || state.wanted > state.started; };
        // Every deadline below is at or before the due time of any call that begins while the
        // thread waits (calls are due callBound after they begin), so those calls need not wake
        // it (watching). With calls running: the oldest one's due time. With none running but
        // some begun since the last look: one callBound from now, in case more follow. Only
        // once a whole callBound passed without a call does it wait without a deadline, and
        // the next call wakes it.
        const auto next = state.logOverrunsLocked();
        const bool recent = state.lastCall != seen;
        seen = state.lastCall;
        state.watching = next || recent;
        if (next)
            state.changed.wait_until(lock, *next, asked);
        else if (recent)
            state.changed.wait_until(lock, Clock::now() + state.callBound, asked);
        else
            state.changed.wait(lock, [&] { return asked() || state.lastCall != seen; });
        state.watching = true;  // awake: it looks at the calls before it waits again
        if (state.stopping) return;
        if (!asked()) continue;  // only an overrun check was due
        ++state.started;
        state.calling = true;
        state.callStartedAt = Clock::now();
        lock.unlock();
        Health health = state.call();
        lock.lock();
        if (state.overrunLogged) {
            state.overrunLogged = false;
            logger().information("plugin " + state.pluginName +
                                 ": instance_health returned after " +
                                 std::to_string(secondsSince(state.callStartedAt)) + " s");
        }
        state.last = std::move(health);
        state.calling = false;
        ++state.finished;
        state.changed.notify_all();
    }
}

}  // namespace agenthost::plugin
