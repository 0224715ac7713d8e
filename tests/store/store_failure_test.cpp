// A store that cannot write (the database locked by another process, a full disk) reports it in
// health(), keeps the batch within its bound, never loses the writes that fit, and recovers.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <filesystem>
#include <fstream>

#include "StoreTestSupport.h"
#include "store/Sqlite.h"
#include "support/Wait.h"

namespace agenthost::store::test {
namespace {

using agenthost::test::TempDir;

SqliteStore::Options quickFailure() {
    SqliteStore::Options options;
    options.busyTimeout = std::chrono::milliseconds(50);
    options.retryDelay = std::chrono::milliseconds(100);
    return options;
}

// Another connection holding the write lock, as a second process would.
class WriteLock {
  public:
    explicit WriteLock(const std::string& path) {
        std::string error;
        EXPECT_TRUE(db_.open(path, SQLITE_OPEN_READWRITE, &error)) << error;
        EXPECT_TRUE(db_.exec("BEGIN IMMEDIATE", &error)) << error;
    }
    void release() { db_.exec("ROLLBACK", nullptr); }

  private:
    SqliteDb db_;
};

TEST(StoreFailure, ALockedDatabaseIsReportedAndTheBatchIsRetried) {
    TempDir dir;
    auto store = openTestStore(dir, quickFailure());
    addConversation(*store, "a", "phone", 1, 1000);
    const Ticket before = store->committedTicket();

    WriteLock lock(store->path());
    const Ticket ticket = store->appendFrame("a", frameRecord(4, 2));
    store->flush();
    EXPECT_EQ(store->committedTicket(), before);
    const StoreHealth failing = store->health();
    EXPECT_FALSE(failing.ok);
    EXPECT_EQ(failing.reason,
              "the conversation store cannot write to " + store->path() + ": database is locked");
    EXPECT_TRUE(store->find("a"));                                    // reads go on
    EXPECT_TRUE(store->enforceRetention(1'000'000, 0, 100).empty());  // answered, not kept

    lock.release();
    store->flush();
    EXPECT_TRUE(store->health().ok);
    EXPECT_GE(store->committedTicket(), ticket);
    EXPECT_EQ(store->frames("a", 0, INT64_MAX, 100).size(), 4u);
    EXPECT_TRUE(store->find("a"));  // the failed retention was not run later
}

TEST(StoreFailure, RetriesOnItsOwnWithoutAFlush) {
    TempDir dir;
    auto store = openTestStore(dir, quickFailure());
    addConversation(*store, "a", "phone", 1, 1000);
    WriteLock lock(store->path());
    const Ticket ticket = store->appendFrame("a", frameRecord(4, 2));
    ASSERT_TRUE(agenthost::test::waitUntil([&] { return !store->health().ok; }));
    lock.release();
    ASSERT_TRUE(agenthost::test::waitUntil([&] { return store->committedTicket() >= ticket; }));
    EXPECT_TRUE(store->health().ok);
}

TEST(StoreFailure, AFailingStoreKeepsOnlyTheNewestWritesWithinItsBound) {
    TempDir dir;
    SqliteStore::Options options = quickFailure();
    options.maxKeptWrites = 10;
    auto store = openTestStore(dir, options);
    addConversation(*store, "a", "phone", 1, 1000);
    WriteLock lock(store->path());
    for (int seq = 4; seq <= 28; ++seq) store->appendFrame("a", frameRecord(seq, 2));
    store->flush();
    EXPECT_FALSE(store->health().ok);
    lock.release();
    store->flush();
    EXPECT_TRUE(store->health().ok);
    const auto frames = store->frames("a", 0, INT64_MAX, 100);
    ASSERT_EQ(frames.size(), 13u);
    EXPECT_EQ(frames[2].seq, 3);
    EXPECT_EQ(frames[3].seq, 19);
    EXPECT_EQ(frames.back().seq, 28);
}

// A tmpfs of 2 MiB stands for a full disk; skipped where mounting is not permitted.
class SmallDisk {
  public:
    explicit SmallDisk(const std::string& where) : path_(where) {
        std::filesystem::create_directories(path_);
        mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, "size=2m") == 0;
    }
    ~SmallDisk() {
        if (mounted_) ::umount(path_.c_str());
    }
    bool mounted() const { return mounted_; }
    // Fills the free space with one file.
    void fill() const {
        std::ofstream out(path_ + "/filler", std::ios::binary);
        const std::string block(4096, 'f');
        while (out.write(block.data(), block.size())) {
        }
    }
    void free() const { std::filesystem::remove(path_ + "/filler"); }

  private:
    std::string path_;
    bool mounted_ = false;
};

// Seq 4 of turn 2, 300 KB: more than the full disk takes.
FrameRecord frameTooBigForTheDisk() {
    FrameRecord big = frameRecord(4, 2);
    big.json = "{\"type\":\"message\",\"content\":\"" + std::string(300'000, 'x') + "\"}";
    return big;
}

TEST(StoreFailure, AFullDiskIsReportedAndRecoveredFrom) {
    TempDir dir;
    SmallDisk disk(dir.file("disk"));
    if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here";
    std::string error;
    auto store = SqliteStore::open(dir.file("disk/conversations.db"), &error, quickFailure());
    ASSERT_TRUE(store) << error;
    addConversation(*store, "a", "phone", 1, 1000);

    disk.fill();
    const FrameRecord big = frameTooBigForTheDisk();
    const Ticket ticket = store->appendFrame("a", big);
    store->flush();
    const StoreHealth failing = store->health();
    EXPECT_FALSE(failing.ok);
    EXPECT_EQ(failing.reason, "the conversation store cannot write to " + store->path() +
                                  ": database or disk is full");
    EXPECT_LT(store->committedTicket(), ticket);

    disk.free();
    store->flush();
    EXPECT_TRUE(store->health().ok) << store->health().reason;
    EXPECT_GE(store->committedTicket(), ticket);
    const auto frames = store->frames("a", 3, INT64_MAX, 10);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].json, big.json);
}

// A batch that ends a running turn and then fails on the full disk is undone; what the writer
// learned from it (the turn no longer running) is forgotten, so the retry ends the turn again.
TEST(StoreFailure, ATurnEndedByAnUndoneBatchIsEndedByItsRetry) {
    TempDir dir;
    SmallDisk disk(dir.file("disk"));
    if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here";
    std::string error;
    auto store = SqliteStore::open(dir.file("disk/conversations.db"), &error, quickFailure());
    ASSERT_TRUE(store) << error;
    addConversation(*store, "a", "phone", 1, 1000);
    addConversation(*store, "b", "phone", 1, 1000);
    store->saveTurn("a", turnRecord(2, TurnStatus::Running, 2000));
    store->flush();
    ASSERT_EQ(store->openTurns().size(), 1u);

    disk.fill();
    store->saveTurn("a", turnRecord(2, TurnStatus::Complete, 2000));  // planned first
    const FrameRecord big = frameTooBigForTheDisk();
    const Ticket ticket = store->appendFrame("b", big);
    store->flush();
    ASSERT_FALSE(store->health().ok);
    EXPECT_EQ(store->openTurns().size(), 1u);

    disk.free();
    store->flush();
    ASSERT_TRUE(store->health().ok) << store->health().reason;
    EXPECT_GE(store->committedTicket(), ticket);
    EXPECT_TRUE(store->openTurns().empty());
    EXPECT_EQ(store->turns("a").back().status, TurnStatus::Complete);
}

}  // namespace
}  // namespace agenthost::store::test
