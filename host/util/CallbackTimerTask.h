#pragma once

#include <Poco/Util/TimerTask.h>

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

}  // namespace agenthost::util
