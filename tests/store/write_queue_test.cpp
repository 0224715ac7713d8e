// WriteQueue: the store's queue in blocks keeps call order across blocks, drops the oldest first,
// and its pool keeps no more emptied blocks than its bound.
#include <gtest/gtest.h>

#include <vector>

#include "store/WriteQueue.h"

namespace agenthost::store::test {
namespace {

constexpr std::size_t kPerBlock = WriteBlockPool::kWritesPerBlock;

std::vector<Ticket> tickets(const WriteQueue& queue) {
    std::vector<Ticket> out;
    for (const QueuedWrite& write : queue) out.push_back(write.ticket);
    return out;
}

std::vector<Ticket> range(Ticket from, Ticket to) {
    std::vector<Ticket> out;
    for (Ticket t = from; t <= to; ++t) out.push_back(t);
    return out;
}

void pushTickets(WriteQueue& queue, WriteBlockPool& pool, Ticket from, Ticket to) {
    const auto id = std::make_shared<const std::string>("c");
    for (Ticket t = from; t <= to; ++t)
        queue.push(QueuedWrite{t, id, FrameRecord{static_cast<std::int64_t>(t), 1, "{}"}}, pool);
}

TEST(WriteQueue, KeepsCallOrderAcrossBlocksAndWhenAppended) {
    WriteBlockPool pool(4);
    WriteQueue queue, more;
    const Ticket n = 2 * kPerBlock + 3;
    pushTickets(queue, pool, 1, n);
    pushTickets(more, pool, n + 1, n + 5);
    EXPECT_EQ(queue.size(), n);
    EXPECT_EQ(queue.back().ticket, n);
    queue.append(more);
    EXPECT_TRUE(more.empty());
    EXPECT_EQ(more.begin(), more.end());
    EXPECT_EQ(tickets(queue), range(1, n + 5));
    EXPECT_EQ(queue.back().ticket, n + 5);
}

TEST(WriteQueue, DropsTheOldestAcrossBlocksAndErasesByPredicate) {
    WriteBlockPool pool(4);
    WriteQueue queue;
    const Ticket n = 3 * kPerBlock;
    pushTickets(queue, pool, 1, n);
    queue.dropOldest(kPerBlock + 2);
    EXPECT_EQ(tickets(queue), range(kPerBlock + 3, n));
    EXPECT_EQ(queue.eraseIf([](const QueuedWrite& w) { return w.ticket % 2 == 0; }),
              (n - kPerBlock - 2) / 2);
    for (const QueuedWrite& write : queue) EXPECT_EQ(write.ticket % 2, 1u);
    queue.dropOldest(n);
    EXPECT_TRUE(queue.empty());
    EXPECT_EQ(queue.begin(), queue.end());
}

TEST(WriteQueue, EmptiedBlocksAreReusedUpToThePoolsBound) {
    WriteBlockPool pool(2);
    WriteQueue queue;
    pushTickets(queue, pool, 1, 4 * kPerBlock);
    std::vector<WriteBlock> emptied;
    queue.clear(emptied);
    EXPECT_TRUE(queue.empty());
    ASSERT_EQ(emptied.size(), 4u);
    pool.keep(emptied);
    EXPECT_EQ(pool.size(), 2u);
    EXPECT_EQ(emptied.size(), 2u);  // beyond the bound: the caller frees them
    const WriteBlock reused = pool.take();
    EXPECT_TRUE(reused.empty());
    EXPECT_EQ(reused.capacity(), kPerBlock);
}

}  // namespace
}  // namespace agenthost::store::test
