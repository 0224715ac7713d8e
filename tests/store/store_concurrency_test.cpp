// One thread streams frames into several conversations while reader threads read them: every
// read sees a gap-free prefix that never shrinks (WAL readers beside the one writer). And the
// writer's latency bound.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "StoreTestSupport.h"

namespace agenthost::store::test {
namespace {

using agenthost::test::TempDir;

TEST(StoreConcurrency, ReadersSeeAGrowingGapFreePrefixWhileTheWriterStreams) {
    TempDir dir;
    SqliteStore::Options options;
    options.batchWindow = std::chrono::milliseconds(2);  // many commits during the test
    auto store = openTestStore(dir, options);
    const std::vector<std::string> ids = {"c0", "c1", "c2", "c3"};
    constexpr int kFrames = 1500;
    for (const auto& id : ids) store->createConversation(newConversation(id));

    std::atomic<bool> done{false};
    std::thread writer([&] {
        for (int seq = 1; seq <= kFrames; ++seq) {
            const int turn = (seq - 1) / 10 + 1;
            for (const auto& id : ids) {
                store->appendFrame(id, frameRecord(seq, turn));
                if (seq % 10 == 0) store->saveTurn(id, turnRecord(turn, TurnStatus::Complete, seq));
            }
            if (seq % 100 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        store->flush();
        done = true;
    });

    std::atomic<int> failures{0};
    std::atomic<int> reads{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < 4; ++r) {
        readers.emplace_back([&, r] {
            std::map<std::string, std::size_t> seen;
            for (int i = 0; !done || i < 5; ++i) {
                const std::string& id = ids[static_cast<std::size_t>(i + r) % ids.size()];
                const auto frames = store->frames(id, 0, INT64_MAX, 100'000);
                for (std::size_t k = 0; k < frames.size(); ++k)
                    if (frames[k].seq != static_cast<std::int64_t>(k + 1) ||
                        frames[k].json != frameRecord(frames[k].seq, frames[k].turn).json)
                        ++failures;
                if (frames.size() < seen[id]) ++failures;
                seen[id] = frames.size();
                store->list(ListQuery{"phone", "", 10, ""});
                store->find(id);
                ++reads;
            }
        });
    }
    writer.join();
    for (auto& reader : readers) reader.join();
    EXPECT_EQ(failures, 0);
    EXPECT_GT(reads, 20);
    for (const auto& id : ids) {
        EXPECT_EQ(store->frames(id, 0, INT64_MAX, 100'000).size(), std::size_t{kFrames});
        EXPECT_EQ(store->find(id)->turns, kFrames / 10);
    }
    EXPECT_TRUE(store->health().ok);
}

// The spec's bound: a frame is stored at worst 100 ms after it is sent, with no flush().
TEST(StoreLatency, AWriteIsCommittedWithin100Milliseconds) {
    TempDir dir;
    auto store = openTestStore(dir);
    store->createConversation(newConversation("latency"));
    store->flush();
    for (int seq = 1; seq <= 5; ++seq) {
        const auto start = std::chrono::steady_clock::now();
        const Ticket ticket = store->appendFrame("latency", frameRecord(seq, 1));
        while (store->committedTicket() < ticket &&
               std::chrono::steady_clock::now() - start < std::chrono::seconds(1))
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        const auto elapsed = std::chrono::steady_clock::now() - start;
        EXPECT_LT(elapsed, std::chrono::milliseconds(100));
        EXPECT_GE(elapsed, std::chrono::milliseconds(15));  // the batch window gathered a burst
    }
}

}  // namespace
}  // namespace agenthost::store::test
