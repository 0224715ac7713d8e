// A fixed pool of threads for session work, and serial queues on top of it: one per session,
// so a session's events run one at a time and in order, without a thread of its own.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "util/LogExceptions.h"

namespace agenthost::core {

class WorkerPool {
  public:
    explicit WorkerPool(std::size_t threads);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    void post(std::function<void()> task);

    // Runs what is queued, then joins the threads. Later posts are dropped.
    void stop();

    std::size_t threadCount() const { return threads_.size(); }

  private:
    void work();
    static void run(std::function<void()> task);

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> tasks_;
    std::vector<std::thread> threads_;
    bool stopping_ = false;
};

class SerialQueue : public std::enable_shared_from_this<SerialQueue> {
  public:
    explicit SerialQueue(WorkerPool& pool) : pool_(pool) {}

    // Runs `task` after every task posted before it, on some pool thread.
    void post(std::function<void()> task);

    // Runs `task` at once on the calling thread when nothing of this queue is queued or
    // running (it saves a thread hand-off on the hot path), else queues it like post(). The
    // task becomes a std::function (a heap allocation for most lambdas) only when it waits.
    template <class Task>
    void runOrPost(Task&& task) {
        if (!enterIfIdle()) {
            post(std::function<void()>(std::forward<Task>(task)));
            return;
        }
        util::logExceptions("session task", task);
        leave();
    }

  private:
    bool enterIfIdle();  // true: nothing queued or running, and this thread is the runner now
    void leave();        // the runner is done: what came meanwhile goes to the pool, in order
    void drain();

    WorkerPool& pool_;
    std::mutex mutex_;
    std::deque<std::function<void()>> tasks_;
    bool scheduled_ = false;
};

}  // namespace agenthost::core
