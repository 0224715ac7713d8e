// The one owner of the end of a plugin instance's life, on a thread of its own: it destroys
// instances that nothing uses any more and runs the request releases handed to it.
//
// The last reference to an instance can be dropped anywhere: on a plugin thread (a finished
// request lets go of its conversation, which lets go of the instance; instance_destroy would
// then join the very thread it runs on), under a host lock, or after the worker pool has
// stopped. Handing every such reference here means instance_destroy runs on this thread only.
// request_release is due when a plugin thread finishes a request; it may not run inside the
// plugin's callback, so it comes here too. One FIFO queue serves both: a release queued before
// the instance's last reference runs before instance_destroy.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
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

    // Any thread, any lock held: `job` runs on the reaper's thread after everything queued
    // before it, and is destroyed there. A job posted after the thread stopped is kept, never
    // run (like a late instance).
    void post(std::function<void()> job);

    // Shutdown: waits until every plugin instance of the process is destroyed (their last
    // references are coming in as the plugins finish) or `timeout` passes, then runs what is
    // queued and stops the thread. An instance or job handed over after that is kept, never
    // destroyed or run: a plugin that does not finish is not allowed to crash the exit.
    void drain(std::chrono::milliseconds timeout);

  private:
    void run();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;
    std::vector<std::function<void()>> kept_;  // handed over after the thread stopped
    bool stopping_ = false;
    bool stopped_ = false;
    std::thread thread_;
};

}  // namespace agenthost::plugin
