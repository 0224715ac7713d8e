#include "core/WorkerPool.h"

#include "util/LogExceptions.h"

namespace agenthost::core {

WorkerPool::WorkerPool(std::size_t threads) {
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
    stop();
}

void WorkerPool::post(std::function<void()> task) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) return;
        tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
}

void WorkerPool::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
}

void WorkerPool::work() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        auto task = std::move(tasks_.front());
        tasks_.pop_front();
        lock.unlock();
        run(std::move(task));  // destroys the task (and what it holds) without the lock
        lock.lock();
    }
}

void WorkerPool::run(std::function<void()> task) {
    util::logExceptions("worker task", task);
}

void SerialQueue::post(std::function<void()> task) {
    bool schedule = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        tasks_.push_back(std::move(task));
        schedule = !scheduled_;
        scheduled_ = true;
    }
    if (schedule) pool_.post([self = shared_from_this()] { self->drain(); });
}

bool SerialQueue::enterIfIdle() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (scheduled_) return false;
    scheduled_ = true;  // this thread is the queue's runner now
    return true;
}

void SerialQueue::leave() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (tasks_.empty()) {
            scheduled_ = false;
            return;
        }
    }
    pool_.post([self = shared_from_this()] { self->drain(); });  // what came meanwhile, in order
}

void SerialQueue::drain() {
    // A bounded batch, then back to the pool's queue, so one busy session cannot starve others.
    for (int batch = 0; batch < 64; ++batch) {
        std::function<void()> task;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (tasks_.empty()) {
                scheduled_ = false;
                return;
            }
            task = std::move(tasks_.front());
            tasks_.pop_front();
        }
        util::logExceptions("session task", task);
    }
    pool_.post([self = shared_from_this()] { self->drain(); });
}

}  // namespace agenthost::core
