// Backpressure: a response's unsent bytes are bounded (max_response_buffer_bytes). Past the
// bound an emit of a plugin that honours AGENTHOST_EMIT_SLOW_DOWN says so, and the plugin waits
// in wait_writable until its readers caught up, so a fast plugin runs at the pace of its
// slowest reader instead of the host buffering what it produces, and a client that reads slowly
// is slowed down, never dropped.
#include <agenthost/plugin_abi.h>

#include <algorithm>

#include "conversation/Conversation.h"

namespace agenthost::conversation {
namespace {

// How often a waiting plugin looks whether its readers caught up. The end of the turn wakes it
// at once; a client that takes bytes is noticed within this.
constexpr std::chrono::milliseconds kWritablePoll{5};
// Frames the store has not made durable are kept in the tail (for resume) and in the store's
// queue; with a store, up to this many times the bound of them may wait for the writer, whose
// commits come in batches about 40 ms apart.
constexpr std::size_t kUncommittedFactor = 4;

}  // namespace

std::size_t Conversation::backlogLocked() const {
    std::size_t unsent = 0;
    for (const auto& attachment : attachments_)
        unsent = std::max(unsent, attachment->connection->unsentBytes());
    return pacedBytes_ + unsent;
}

std::size_t Conversation::maxTailBytesLocked() const {
    return kUncommittedFactor * runtime_->server.maxResponseBufferBytes;
}

bool Conversation::behindLocked() const {
    if (backlogLocked() > runtime_->server.maxResponseBufferBytes) return true;
    return services_.store && unstoredBytes_ > maxTailBytesLocked();
}

bool Conversation::caughtUpLocked() const {
    if (backlogLocked() > runtime_->server.maxResponseBufferBytes / 2) return false;
    return !services_.store || unstoredBytes_ <= maxTailBytesLocked() / 2;
}

std::uint32_t Conversation::acceptedLocked(const TurnRequest& request) const {
    if (request.honorsSlowDown && behindLocked()) return AGENTHOST_EMIT_SLOW_DOWN;
    return AGENTHOST_EMIT_OK;
}

std::uint32_t Conversation::writableLocked(const TurnRequest& request) {
    if (&request != current_.get()) return request.endedStatus();
    trimTailLocked();  // what the writer committed meanwhile no longer counts
    return caughtUpLocked() ? AGENTHOST_EMIT_OK : AGENTHOST_EMIT_SLOW_DOWN;
}

std::uint32_t Conversation::requestWaitWritable(TurnRequest& request,
                                                std::chrono::milliseconds timeout) {
    const auto deadline = net::Clock::now() + timeout;
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
        const std::uint32_t status = writableLocked(request);
        if (status != AGENTHOST_EMIT_SLOW_DOWN) return status;
        if (timeout.count() > 0 && net::Clock::now() >= deadline) return status;
        writable_.wait_for(lock, kWritablePoll);
    }
}

std::uint32_t Conversation::requestWritableNow(TurnRequest& request) {
    std::lock_guard<std::mutex> lock(mutex_);
    return writableLocked(request);
}

void Conversation::noteUnstoredLocked(store::Ticket ticket, std::size_t bytes) {
    unstored_.push_back({ticket, bytes});
    unstoredBytes_ += bytes;
}

void Conversation::pushTailLocked(TailFrame frame) {
    tailBytes_ += frame.json.size();
    tail_.push_back(std::move(frame));
}

void Conversation::popTailLocked() {
    tailBytes_ -= tail_.front().json.size();
    tail_.pop_front();
}

}  // namespace agenthost::conversation
