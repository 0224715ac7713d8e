#include "ConcurrencyGate.h"

#include <algorithm>
#include <chrono>

namespace codex_bridgehub {

bool ConcurrencyGate::enter(const std::function<bool()>& giveUp) {
    std::unique_lock<std::mutex> lock(mutex_);
    const std::uint64_t ticket = nextTicket_++;
    waiting_.push_back(ticket);
    for (;;) {
        if (waiting_.front() == ticket && running_ < limit_) {
            waiting_.pop_front();
            ++running_;
            changed_.notify_all();  // the next in line may fit as well
            return true;
        }
        if (giveUp()) {
            waiting_.erase(std::find(waiting_.begin(), waiting_.end(), ticket));
            changed_.notify_all();  // we may have been in front of someone who now fits
            return false;
        }
        changed_.wait_for(lock, std::chrono::milliseconds(50));
    }
}

void ConcurrencyGate::leave() {
    std::lock_guard<std::mutex> lock(mutex_);
    --running_;
    changed_.notify_all();
}

}  // namespace codex_bridgehub
