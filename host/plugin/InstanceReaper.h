// Destroys plugin instances that nothing uses any more, on a thread of its own. The last
// reference to an instance can be dropped anywhere: on a plugin thread (a finished request
// lets go of its conversation, which lets go of the instance; instance_destroy would then join
// the very thread it runs on), under a host lock, or after the worker pool has stopped. Handing
// every such reference here gives instances one owner at the end of their life.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace agenthost::plugin {

class PluginInstance;

class InstanceReaper {
  public:
    InstanceReaper();
    ~InstanceReaper();  // drains with no wait
    InstanceReaper(const InstanceReaper&) = delete;
    InstanceReaper& operator=(const InstanceReaper&) = delete;

    // Any thread, any lock held: the reference is dropped on the reaper's thread.
    void release(std::shared_ptr<PluginInstance> instance);

    // Shutdown: waits until every plugin instance of the process is destroyed (their last
    // references are coming in as the plugins finish) or `timeout` passes, then stops the
    // thread. An instance released after that is kept, never destroyed: a plugin that does not
    // finish is not allowed to crash the exit.
    void drain(std::chrono::milliseconds timeout);

  private:
    void run();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::shared_ptr<PluginInstance>> queue_;
    std::vector<std::shared_ptr<PluginInstance>> kept_;  // released after the thread stopped
    bool stopping_ = false;
    bool stopped_ = false;
    std::thread thread_;
};

}  // namespace agenthost::plugin
