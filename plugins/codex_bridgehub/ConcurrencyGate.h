// Lets at most N requests run children at once; the others wait their turn in arrival order.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

namespace codex_bridgehub {

class ConcurrencyGate {
  public:
    explicit ConcurrencyGate(std::size_t limit) : limit_(limit) {}

    // Waits until it is this caller's turn and a slot is free. Returns false, without taking a
    // slot, if `giveUp()` becomes true first (checked every few tens of milliseconds).
    bool enter(const std::function<bool()>& giveUp);
    void leave();

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::size_t limit_;
    std::size_t running_ = 0;
    std::uint64_t nextTicket_ = 0;
    std::deque<std::uint64_t> waiting_;
};

// Holds a slot for its lifetime.
class GateSlot {
  public:
    explicit GateSlot(ConcurrencyGate& gate) : gate_(gate) {}
    ~GateSlot() { gate_.leave(); }
    GateSlot(const GateSlot&) = delete;
    GateSlot& operator=(const GateSlot&) = delete;

  private:
    ConcurrencyGate& gate_;
};

}  // namespace codex_bridgehub
