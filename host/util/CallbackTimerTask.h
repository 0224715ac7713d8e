#pragma once

#include <Poco/Clock.h>
#include <Poco/Util/Timer.h>
#include <Poco/Util/TimerTask.h>

#include <chrono>
#include <functional>
#include <utility>

namespace agenthost::util {

// A Poco::Util::Timer task that runs a function.
class CallbackTimerTask final : public Poco::Util::TimerTask {
  public:
    explicit CallbackTimerTask(std::function<void()> callback) : callback_(std::move(callback)) {}
    void run() override { callback_(); }

  private:
    std::function<void()> callback_;
};

// Runs `callback` once on `timer`'s thread, `delay` from now (on the monotonic clock). Returns
// the task, so that the caller can cancel it.
inline Poco::Util::TimerTask::Ptr scheduleAfter(Poco::Util::Timer& timer,
                                                std::chrono::microseconds delay,
                                                std::function<void()> callback) {
    Poco::Util::TimerTask::Ptr task(new CallbackTimerTask(std::move(callback)));
    Poco::Clock when;
    when += delay.count();
    timer.schedule(task, when);
    return task;
}

}  // namespace agenthost::util
