#include "plugin/InstanceReaper.h"

#include <Poco/Logger.h>

#include "plugin/PluginInstance.h"

namespace agenthost::plugin {

InstanceReaper::InstanceReaper() : thread_([this] { run(); }) {}

InstanceReaper::~InstanceReaper() {
    drain(std::chrono::milliseconds(0));
}

void InstanceReaper::release(std::shared_ptr<PluginInstance> instance) {
    if (!instance) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) {
        kept_.push_back(std::move(instance));
        return;
    }
    queue_.push_back(std::move(instance));
    wake_.notify_one();
}

void InstanceReaper::run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        wake_.wait_for(lock, std::chrono::milliseconds(20),
                       [&] { return stopping_ || !queue_.empty(); });
        while (!queue_.empty()) {
            auto instance = std::move(queue_.front());
            queue_.pop_front();
            lock.unlock();
            instance.reset();  // the last reference: instance_destroy runs here
            lock.lock();
        }
        if (stopping_) return;
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
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    if (PluginInstance::alive() > 0)
        Poco::Logger::get("agenthost")
            .warning(
                std::to_string(PluginInstance::alive()) +
                " plugin instance(s) still had requests running at exit; they are not destroyed");
}

}  // namespace agenthost::plugin
