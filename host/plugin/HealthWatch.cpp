#include "plugin/HealthWatch.h"

#include <Poco/Logger.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>

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

    Health overrunLocked() const {
        return {AGENTHOST_HEALTH_DEGRADED, "the plugin's health check has not returned for " +
                                               std::to_string(secondsSince(callStartedAt)) + " s"};
    }
};

HealthWatch::HealthWatch(std::function<Health()> call, std::string pluginName)
    : state_(std::make_shared<State>()) {
    state_->call = std::move(call);
    state_->pluginName = std::move(pluginName);
    thread_ = std::thread(run, state_);
}

HealthWatch::~HealthWatch() {
    stop(std::chrono::milliseconds(0));
}

Health HealthWatch::current(std::chrono::milliseconds timeout) {
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
    while (true) {
        state.changed.wait(lock, [&] { return state.stopping || state.wanted > state.started; });
        if (state.stopping) return;
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
