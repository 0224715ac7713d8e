#include "plugin/InstanceReaper.h"

#include <Poco/Logger.h>
#include <pthread.h>

#include "plugin/PluginInstance.h"
#include "util/LogExceptions.h"

namespace agenthost::plugin {

InstanceReaper::InstanceReaper() : thread_([this] { run(); }) {}

InstanceReaper::~InstanceReaper() {
    drain(std::chrono::milliseconds(0));
}

void InstanceReaper::release(std::shared_ptr<PluginInstance> instance) {
    if (!instance) return;
    // The job holds the reference; destroying the job on this thread destroys the instance.
    post([instance = std::move(instance)] {});
}

void InstanceReaper::post(std::function<void()> job) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) {
        kept_.push_back(std::move(job));
        return;
    }
    queue_.push_back(std::move(job));
    wake_.notify_one();
}

void InstanceReaper::run() {
    ::pthread_setname_np(::pthread_self(), "plugin-reaper");
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        // post() and drain() notify under the mutex, so no wake-up is missed: no timeout (it
        // woke an idle server 50 times a second for nothing).
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        while (!queue_.empty()) {
            auto job = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            util::logExceptions("plugin release", job);
            job = nullptr;  // the last references it held (instance_destroy) go here
            lock.lock();
        }
        if (stopping_) {
            stopped_ = true;  // under the same lock as the last empty queue: nothing is lost
            return;
        }
    }
}

void InstanceReaper::drain(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (PluginInstance::alive() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
        wake_.notify_one();
    }
    thread_.join();
    if (PluginInstance::alive() > 0)
        Poco::Logger::get("agenthost")
            .warning(
                std::to_string(PluginInstance::alive()) +
                " plugin instance(s) still had requests running at exit; they are not destroyed");
}

}  // namespace agenthost::plugin
