// The store's queue of writes, kept in fixed blocks rather than one growing buffer. A batch of
// the echo load holds thousands of writes: one buffer regrew through mmap (beyond the heap's
// threshold) and moved every write at each doubling, every batch. Blocks are sized to stay on
// the heap, a write never moves once queued, and emptied blocks are kept for the next batch up
// to a bound (WriteBlockPool), so that a burst does not keep its memory for good.
#pragma once

#include <cstddef>
#include <iterator>
#include <vector>

#include "store/WriteBatch.h"

namespace agenthost::store {

// One block: a vector whose capacity is fixed when it is made and never exceeded.
using WriteBlock = std::vector<QueuedWrite>;

// Emptied blocks for reuse, at most `maxBlocks` of them. Not synchronized: its owner guards it.
class WriteBlockPool {
  public:
    static constexpr std::size_t kBlockBytes = 32 * 1024;  // well under the mmap threshold
    static constexpr std::size_t kWritesPerBlock =
        sizeof(QueuedWrite) < kBlockBytes ? kBlockBytes / sizeof(QueuedWrite) : 1;

    explicit WriteBlockPool(std::size_t maxBlocks) : maxBlocks_(maxBlocks) {}

    // A kept block, or a new one.
    WriteBlock take();
    // Keeps the emptied blocks while there is room; those beyond it stay in `blocks`.
    void keep(std::vector<WriteBlock>& blocks);
    std::size_t size() const { return free_.size(); }

  private:
    std::size_t maxBlocks_;
    std::vector<WriteBlock> free_;
};

class WriteQueue {
  public:
    class const_iterator {
      public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = QueuedWrite;
        using difference_type = std::ptrdiff_t;
        using pointer = const QueuedWrite*;
        using reference = const QueuedWrite&;

        const_iterator() = default;
        reference operator*() const { return (*blocks_)[block_][index_]; }
        pointer operator->() const { return &**this; }
        const_iterator& operator++();
        const_iterator operator++(int) {
            const_iterator before = *this;
            ++*this;
            return before;
        }
        bool operator==(const const_iterator& other) const {
            return block_ == other.block_ && index_ == other.index_;
        }

      private:
        friend class WriteQueue;
        const_iterator(const std::vector<WriteBlock>* blocks, std::size_t block);
        void skipEmptyBlocks();

        const std::vector<WriteBlock>* blocks_ = nullptr;
        std::size_t block_ = 0;
        std::size_t index_ = 0;
    };

    // Appends a write, in a block from `pool` when the last one is full.
    void push(QueuedWrite write, WriteBlockPool& pool);
    // Moves every write of `other` behind this queue's (no write is moved, only blocks).
    void append(WriteQueue& other);
    void swap(WriteQueue& other) noexcept;
    // Destroys the writes; the emptied blocks are moved to `emptied`.
    void clear(std::vector<WriteBlock>& emptied);
    // Destroys the `count` oldest writes.
    void dropOldest(std::size_t count);
    // Destroys the writes for which `remove` is true; returns how many.
    template <class Predicate>
    std::size_t eraseIf(Predicate remove) {
        std::size_t removed = 0;
        for (WriteBlock& block : blocks_) removed += std::erase_if(block, remove);
        size_ -= removed;
        return removed;
    }

    bool empty() const { return size_ == 0; }
    std::size_t size() const { return size_; }
    const QueuedWrite& back() const;
    const_iterator begin() const { return const_iterator(&blocks_, 0); }
    const_iterator end() const { return const_iterator(&blocks_, blocks_.size()); }

  private:
    std::vector<WriteBlock> blocks_;
    std::size_t size_ = 0;
};

}  // namespace agenthost::store
