#include "store/WriteQueue.h"

#include <algorithm>
#include <utility>

namespace agenthost::store {

WriteBlock WriteBlockPool::take() {
    if (free_.empty()) {
        WriteBlock block;
        block.reserve(kWritesPerBlock);
        return block;
    }
    WriteBlock block = std::move(free_.back());
    free_.pop_back();
    return block;
}

void WriteBlockPool::keep(std::vector<WriteBlock>& blocks) {
    while (!blocks.empty() && free_.size() < maxBlocks_) {
        free_.push_back(std::move(blocks.back()));
        blocks.pop_back();
    }
}

WriteQueue::const_iterator::const_iterator(const std::vector<WriteBlock>* blocks, std::size_t block)
    : blocks_(blocks), block_(block) {
    skipEmptyBlocks();
}

void WriteQueue::const_iterator::skipEmptyBlocks() {
    while (block_ < blocks_->size() && index_ == (*blocks_)[block_].size()) {
        ++block_;
        index_ = 0;
    }
}

WriteQueue::const_iterator& WriteQueue::const_iterator::operator++() {
    ++index_;
    skipEmptyBlocks();
    return *this;
}

void WriteQueue::push(QueuedWrite write, WriteBlockPool& pool) {
    if (blocks_.empty() || blocks_.back().size() == blocks_.back().capacity())
        blocks_.push_back(pool.take());
    blocks_.back().push_back(std::move(write));
    ++size_;
}

void WriteQueue::append(WriteQueue& other) {
    blocks_.insert(blocks_.end(), std::make_move_iterator(other.blocks_.begin()),
                   std::make_move_iterator(other.blocks_.end()));
    size_ += other.size_;
    other.blocks_.clear();
    other.size_ = 0;
}

void WriteQueue::swap(WriteQueue& other) noexcept {
    blocks_.swap(other.blocks_);
    std::swap(size_, other.size_);
}

void WriteQueue::clear(std::vector<WriteBlock>& emptied) {
    for (WriteBlock& block : blocks_) {
        block.clear();
        emptied.push_back(std::move(block));
    }
    blocks_.clear();
    size_ = 0;
}

void WriteQueue::dropOldest(std::size_t count) {
    count = std::min(count, size_);
    size_ -= count;
    std::size_t whole = 0;
    while (whole < blocks_.size() && blocks_[whole].size() <= count)
        count -= blocks_[whole++].size();
    blocks_.erase(blocks_.begin(), blocks_.begin() + static_cast<std::ptrdiff_t>(whole));
    if (count > 0) {
        WriteBlock& first = blocks_.front();
        first.erase(first.begin(), first.begin() + static_cast<std::ptrdiff_t>(count));
    }
}

const QueuedWrite& WriteQueue::back() const {
    auto block = std::find_if(blocks_.rbegin(), blocks_.rend(),
                              [](const WriteBlock& b) { return !b.empty(); });
    return block->back();
}

}  // namespace agenthost::store
