#include "store/SqliteStore.h"

#include <Poco/Logger.h>
#include <pthread.h>

#include <algorithm>
#include <limits>
#include <map>

#include "store/KnownTurns.h"
#include "store/ListCursor.h"
#include "store/Sqlite.h"
#include "store/SqliteSchema.h"
#include "store/TurnRecordJson.h"
#include "store/TurnStatus.h"

namespace agenthost::store {

namespace {

// Queue blocks the writer keeps between batches (2 MiB, some 5,000 writes); a burst beyond
// them is let go after its commit, and the host's periodic trim hands its pages back.
constexpr std::size_t kKeptQueueBlocks = (2u << 20) / WriteBlockPool::kBlockBytes;

constexpr std::size_t kMaxListLimit = 200;
constexpr std::size_t kMaxIdleReaders = 8;

Poco::Logger& logger() {
    return Poco::Logger::get("agenthost.store");
}

constexpr const char* kConversationColumns =
    "id, route, key_name, title, created_at, updated_at, turns, last_seq";

bool prepareAll(SqliteDb& db, std::initializer_list<std::pair<SqliteStatement*, const char*>> list,
                std::string* error) {
    for (const auto& [statement, sql] : list)
        if (!statement->prepare(db, sql, error)) return false;
    return true;
}

// Opens a connection with the settings every connection of the store shares.
bool openConnection(SqliteDb& db, const std::string& path, int flags,
                    std::chrono::milliseconds busyTimeout, std::string* error) {
    if (!db.open(path, flags | SQLITE_OPEN_NOMUTEX, error)) return false;
    sqlite3_busy_timeout(db.handle(), static_cast<int>(busyTimeout.count()));
    sqlite3_extended_result_codes(db.handle(), 1);
    return db.exec("PRAGMA foreign_keys = ON", error);
}

// A write by id: the queue holds a reference like a live conversation's.
ConversationRef referenceTo(const std::string& conversationId) {
    return std::make_shared<const std::string>(conversationId);
}

// For the writes that are not about a conversation (token totals, retention).
const ConversationRef& noConversation() {
    static const ConversationRef none = std::make_shared<const std::string>();
    return none;
}

bool isConstraint(int rc) {
    return (rc & 0xFF) == SQLITE_CONSTRAINT;
}

}  // namespace

struct SqliteStore::WriteConnection {
    SqliteDb db;
    SqliteStatement begin, commit, rollback;
    SqliteStatement create, remove, segment, turnRows, supersededTurns, endTurns, runTurn, state,
        touch, expireOld, capPerKey, keyTokens, oldKeyTokens, lastTurnRow, runningOf;
    KnownTurns known;

    bool prepare(std::string* error) {
        return prepareAll(
            db,
            {{&begin, "BEGIN IMMEDIATE"},
             {&commit, "COMMIT"},
             {&rollback, "ROLLBACK"},
             {&create,
              "INSERT OR IGNORE INTO conversations (id, route, key_name, created_at, updated_at) "
              "VALUES (?1, ?2, ?3, ?4, ?4)"},
             {&remove, "DELETE FROM conversations WHERE id = ?1"},
             {&segment,
              "INSERT INTO frame_segments (conversation_id, first_seq, last_seq, "
              "turns, frames) VALUES (?1, ?2, ?3, ?4, ?5)"},
             {&turnRows,
              "INSERT INTO turn_segments (conversation_id, first_turn, last_turn, records) "
              "VALUES (?1, ?2, ?3, ?4)"},
             // Rows whose every turn the new row saves again hold only old versions.
             {&supersededTurns,
              "DELETE FROM turn_segments WHERE conversation_id = ?1 AND last_turn BETWEEN ?2 AND "
              "?3 AND first_turn >= ?2"},
             {&endTurns,
              "DELETE FROM running_turns WHERE conversation_id = ?1 AND turn BETWEEN ?2 AND ?3"},
             {&runTurn,
              "INSERT OR IGNORE INTO running_turns (conversation_id, turn) VALUES (?1, ?2)"},
             // What KnownTurns reads of a conversation it does not know.
             {&lastTurnRow,
              "SELECT coalesce(max(last_turn), 0) FROM turn_segments WHERE conversation_id = ?1"},
             {&runningOf, "SELECT turn FROM running_turns WHERE conversation_id = ?1"},
             {&state, "UPDATE conversations SET plugin_state = ?2 WHERE id = ?1"},
             {&touch,
              "UPDATE conversations SET updated_at = max(updated_at, ?2), "
              "last_seq = max(last_seq, ?3), turns = max(turns, ?4), title = coalesce(?5, title) "
              "WHERE id = ?1"},
             // Both delete at most ?2 conversations (one slice of a sweep), oldest first.
             {&expireOld,
              "DELETE FROM conversations WHERE id IN (SELECT id FROM conversations WHERE "
              "updated_at < ?1 ORDER BY updated_at LIMIT ?2) RETURNING id"},
             {&capPerKey,
              "DELETE FROM conversations WHERE id IN (SELECT id FROM (SELECT id, updated_at, "
              "row_number() OVER (PARTITION BY key_name ORDER BY updated_at DESC, id DESC) AS "
              "position FROM conversations WHERE turns > 0) WHERE position > ?1 "
              "ORDER BY updated_at LIMIT ?2) RETURNING id"},
             {&keyTokens,
              "INSERT INTO key_tokens (key_name, day, tokens) VALUES (?1, ?2, ?3) "
              "ON CONFLICT (day, key_name) DO UPDATE SET tokens = max(tokens, excluded.tokens)"},
             // Only today's totals are read; yesterday's stays for whoever looks at the file.
             {&oldKeyTokens, "DELETE FROM key_tokens WHERE day < ?1 - 1"}},
            error);
    }
};

struct SqliteStore::ReadConnection {
    SqliteDb db;
    SqliteStatement find, frames, turns, state, list, openTurns, keyTokens;

    bool open(const std::string& path, std::chrono::milliseconds busyTimeout, std::string* error) {
        return openConnection(db, path, SQLITE_OPEN_READWRITE, busyTimeout, error) &&
               db.exec("PRAGMA query_only = ON", error) &&
               prepareAll(db,
                          {{&find, (std::string("SELECT ") + kConversationColumns +
                                    " FROM conversations WHERE id = ?1")
                                       .c_str()},
                           {&frames,
                            "SELECT first_seq, last_seq, turns, frames FROM frame_segments "
                            "WHERE conversation_id = ?1 AND last_seq > ?2 ORDER BY last_seq"},
                           {&turns,
                            "SELECT records FROM turn_segments WHERE conversation_id = ?1 "
                            "ORDER BY rowid"},
                           {&state, "SELECT plugin_state FROM conversations WHERE id = ?1"},
                           {&list, (std::string("SELECT ") + kConversationColumns +
                                    " FROM conversations WHERE key_name = ?1 AND turns > 0 "
                                    "AND (?2 = '' OR route = ?2) AND (updated_at, id) < (?3, ?4) "
                                    "ORDER BY updated_at DESC, id DESC LIMIT ?5")
                                       .c_str()},
                           {&openTurns,
                            "SELECT r.conversation_id, r.turn, c.last_seq FROM running_turns r "
                            "JOIN conversations c ON c.id = r.conversation_id "
                            "ORDER BY r.conversation_id, r.turn"},
                           {&keyTokens, "SELECT key_name, tokens FROM key_tokens WHERE day = ?1"}},
                          error);
    }
};

namespace {

ConversationInfo readConversation(const SqliteStatement& row) {
    ConversationInfo info;
    info.id = row.text(0);
    info.route = row.text(1);
    info.keyName = row.text(2);
    info.title = row.text(3);
    info.createdAt = row.integer(4);
    info.updatedAt = row.integer(5);
    info.turns = static_cast<int>(row.integer(6));
    info.lastSeq = row.integer(7);
    return info;
}

}  // namespace

// ---- Opening and closing.

std::unique_ptr<SqliteStore> SqliteStore::open(const std::string& path, std::string* error,
                                               Options options) {
    // SQLite's allocation statistics take a global mutex around every malloc; nothing here
    // reads them. Possible only before SQLite initializes, hence once, first thing.
    static const bool configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
    (void)configured;
    std::unique_ptr<SqliteStore> store(new SqliteStore(path, options));
    auto writer = std::make_unique<WriteConnection>();
    std::string reason;
    const bool opened = openConnection(writer->db, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                       options.busyTimeout, &reason) &&
                        writer->db.exec("PRAGMA journal_mode = WAL", &reason) &&
                        writer->db.queryText("PRAGMA journal_mode") == "wal" &&
                        writer->db.exec("PRAGMA synchronous = NORMAL", &reason) &&
                        // The hot pages (each conversation's last turns and segments) are rewritten
                        // by every batch: a larger WAL copies them back to the database less often.
                        // The cache stays small (2 MiB, SQLite's default): the hot pages are few,
                        // and a large one fills with pages written once and held for good.
                        writer->db.exec("PRAGMA wal_autocheckpoint = 8192", &reason) &&
                        writer->db.exec("PRAGMA journal_size_limit = 67108864", &reason) &&
                        writer->db.exec("PRAGMA cache_size = -2048", &reason) &&
                        migrateSchema(writer->db, path, &reason) && writer->prepare(&reason);
    if (!opened) {
        if (reason.empty()) reason = "it cannot be put in WAL mode: " + writer->db.message();
        if (error) *error = "cannot open the conversation store " + path + ": " + reason;
        return nullptr;
    }
    // A read connection now, so that a file readers cannot open fails here, not on first use.
    auto reader = std::make_unique<ReadConnection>();
    if (!reader->open(path, options.busyTimeout, &reason)) {
        if (error) *error = "cannot open the conversation store " + path + ": " + reason;
        return nullptr;
    }
    store->idleReaders_.push_back(std::move(reader));
    store->writer_ = std::move(writer);
    store->writerThread_ = std::thread([raw = store.get()] { raw->writerLoop(); });
    return store;
}

SqliteStore::SqliteStore(std::string path, Options options)
    : path_(std::move(path)), options_(options), blocks_(kKeptQueueBlocks) {}

SqliteStore::~SqliteStore() {
    if (!writerThread_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    writerThread_.join();
}

// ---- Writes.

Ticket SqliteStore::enqueue(ConversationRef conversation, decltype(QueuedWrite::payload) payload,
                            bool urgent) {
    Ticket ticket;
    bool wake;
    {
        std::lock_guard lock(mutex_);
        ticket = ++lastTicket_;
        queue_.push(QueuedWrite{ticket, std::move(conversation), std::move(payload)}, blocks_);
        // Only the first write of a burst wakes the writer; the rest ride along for free.
        wake = writerIdle_ || urgent;
        writerIdle_ = false;
        if (urgent) urgent_ = true;
    }
    if (wake) wake_.notify_one();
    return ticket;
}

Ticket SqliteStore::createConversation(const NewConversation& conversation) {
    return enqueue(referenceTo(conversation.id), conversation);
}

Ticket SqliteStore::appendFrame(const std::string& conversationId, FrameRecord frame) {
    return enqueue(referenceTo(conversationId), std::move(frame));
}

Ticket SqliteStore::saveTurn(const std::string& conversationId, TurnRecord turn) {
    return enqueue(referenceTo(conversationId), std::move(turn));
}

Ticket SqliteStore::savePluginState(const std::string& conversationId, std::string state) {
    return enqueue(referenceTo(conversationId), std::move(state));
}

Ticket SqliteStore::appendFrame(const ConversationRef& conversation, FrameRecord frame) {
    return enqueue(conversation, std::move(frame));
}

Ticket SqliteStore::saveTurn(const ConversationRef& conversation, TurnRecord turn) {
    return enqueue(conversation, std::move(turn));
}

Ticket SqliteStore::savePluginState(const ConversationRef& conversation, std::string state) {
    return enqueue(conversation, std::move(state));
}

Ticket SqliteStore::saveTurnWithFrame(const ConversationRef& conversation, TurnRecord turn,
                                      FrameRecord frame) {
    return enqueue(conversation, TurnWithFrame{std::move(turn), std::move(frame)});
}

Ticket SqliteStore::deleteConversation(const std::string& conversationId) {
    return enqueue(referenceTo(conversationId), DeleteWrite{});
}

Ticket SqliteStore::saveKeyTokens(KeyTokens total) {
    return enqueue(noConversation(), std::move(total));
}

std::vector<std::string> SqliteStore::enforceRetention(Millis olderThan, std::size_t maxPerKey,
                                                       std::size_t limit) {
    auto result = std::make_shared<std::promise<std::vector<std::string>>>();
    auto future = result->get_future();
    enqueue(noConversation(), RetentionWrite{olderThan, maxPerKey, limit, result}, true);
    return future.get();
}

void SqliteStore::flush() {
    std::unique_lock lock(mutex_);
    const Ticket target = lastTicket_;
    if (committed_.load(std::memory_order_relaxed) >= target || writerDone_) return;
    // Waits for an attempt that starts after this call (so that a failing store tries again
    // now, not only reports the try that was under way), unless the writes commit before.
    const std::uint64_t startedBefore = attemptsStarted_;
    urgent_ = true;
    wake_.notify_one();
    done_.wait(lock, [&] {
        return committed_.load(std::memory_order_relaxed) >= target ||
               (attemptsFinished_ > startedBefore && attempted_ >= target) || writerDone_;
    });
}

void SqliteStore::writerLoop() {
    ::pthread_setname_np(::pthread_self(), "store-writer");
    std::unique_lock lock(mutex_);
    for (;;) {
        if (pending_.empty()) {
            writerIdle_ = queue_.empty();
            wake_.wait(lock, [&] { return stopping_ || urgent_ || !queue_.empty(); });
            writerIdle_ = false;
            // Gather the burst: what arrives within the window shares this commit.
            if (!stopping_ && !urgent_)
                wake_.wait_for(lock, options_.batchWindow, [&] { return stopping_ || urgent_; });
        } else {
            // The last batch failed: try again after a pause (or at once when someone waits).
            wake_.wait_for(lock, options_.retryDelay, [&] { return stopping_ || urgent_; });
        }
        if (queue_.empty() && pending_.empty()) {
            if (stopping_) break;
            // Nothing left to try (the rest was dropped): a waiting flush() is done.
            urgent_ = false;
            attempted_ = lastTicket_;
            ++attemptsStarted_;
            ++attemptsFinished_;
            done_.notify_all();
            continue;
        }
        urgent_ = false;
        ++attemptsStarted_;
        if (pending_.empty())
            pending_.swap(queue_);
        else
            pending_.append(queue_);
        const bool stopping = stopping_;
        lock.unlock();

        const Ticket last = pending_.back().ticket;
        std::string error;
        const bool committed = applyPending(&error);
        if (committed) {
            committed_.store(last, std::memory_order_release);
            countCommit(pending_.size());
            pending_.clear(emptied_);
            setHealth(true, "");
        } else {
            failedCommits_.fetch_add(1, std::memory_order_relaxed);
            setHealth(false, "the conversation store cannot write to " + path_ + ": " + error);
            if (stopping) {
                logger().error("the conversation store stops with " +
                               std::to_string(pending_.size()) + " writes it could not save");
                droppedWrites_.fetch_add(pending_.size(), std::memory_order_relaxed);
                pending_.clear(emptied_);
            }
            boundPending();
        }

        lock.lock();
        attempted_ = std::max(attempted_, last);
        ++attemptsFinished_;
        done_.notify_all();
        blocks_.keep(emptied_);
        if (!emptied_.empty()) {
            // Beyond what is kept: freed, but not under the lock the event loop takes.
            lock.unlock();
            emptied_.clear();
            lock.lock();
        }
    }
    writerDone_ = true;
    done_.notify_all();
}

namespace {

// What the writer's transaction sees of a conversation's turn rows and running turns; nullopt
// when it cannot be read (the statements then run unconditionally).
std::optional<KnownTurns::Conversation> readKnownTurns(SqliteStore::WriteConnection& w,
                                                       const std::string& conversationId) {
    int maxLastTurn = 0;
    {
        StatementUse use(w.lastTurnRow);
        w.lastTurnRow.bind(1, conversationId);
        if (w.lastTurnRow.step() != SQLITE_ROW) return std::nullopt;
        maxLastTurn = static_cast<int>(w.lastTurnRow.integer(0));
    }
    std::vector<int> running;
    StatementUse use(w.runningOf);
    w.runningOf.bind(1, conversationId);
    int rc;
    while ((rc = w.runningOf.step()) == SQLITE_ROW)
        running.push_back(static_cast<int>(w.runningOf.integer(0)));
    if (rc != SQLITE_DONE) return std::nullopt;
    return KnownTurns::Conversation(maxLastTurn, std::move(running));
}

KnownTurns::Conversation* knownTurns(SqliteStore::WriteConnection& w,
                                     const std::string& conversationId) {
    if (KnownTurns::Conversation* known = w.known.find(conversationId)) return known;
    auto read = readKnownTurns(w, conversationId);
    return read ? &w.known.learn(conversationId, std::move(*read)) : nullptr;
}

// The turn row, then which turns are running: ended ones leave running_turns, running ones
// join it (turns end in order, so a range covers exactly the ended ones). The DELETEs run only
// when KnownTurns says they may find something.
template <class Run>
bool applyTurnRows(SqliteStore::WriteConnection& w, const TurnRows& rows, Run& run) {
    const std::string& id = *rows.conversationId;
    KnownTurns::Conversation* known = knownTurns(w, id);
    if (!known || known->maySupersede(rows.firstTurn)) {
        w.supersededTurns.bindAll(id, rows.firstTurn, rows.lastTurn);
        if (!run(w.supersededTurns)) return false;
    }
    w.turnRows.bindAll(id, rows.firstTurn, rows.lastTurn, rows.records);
    if (!run(w.turnRows)) return false;
    if (known) known->wroteRow(rows.firstTurn);
    if (rows.endedFrom > 0 && (!known || known->mayBeRunning(rows.endedFrom, rows.endedTo))) {
        w.endTurns.bindAll(id, rows.endedFrom, rows.endedTo);
        if (!run(w.endTurns)) return false;
    }
    if (known && rows.endedFrom > 0) known->ended(rows.endedFrom, rows.endedTo);
    for (int turn : rows.running) {
        w.runTurn.bindAll(id, turn);
        if (!run(w.runTurn)) return false;
        if (known) known->started(turn);
    }
    return true;
}

}  // namespace

bool SqliteStore::applyPending(std::string* error) {
    WriteConnection& w = *writer_;
    const WritePlan plan = planWrites(pending_);
    std::vector<std::pair<const RetentionWrite*, std::vector<std::string>>> retentions;
    std::size_t orphans = 0;

    // Runs a bound statement to its end; rows (RETURNING) go to `ids`.
    const auto run = [&](SqliteStatement& statement,
                         std::vector<std::string>* ids = nullptr) -> bool {
        StatementUse use(statement);
        int rc;
        while ((rc = statement.step()) == SQLITE_ROW)
            if (ids) ids->emplace_back(statement.text(0));
        if (rc == SQLITE_DONE) return true;
        // A write for a conversation that no longer exists (deleted meanwhile) is dropped
        // alone; SQLite undoes only that statement.
        if (isConstraint(rc)) {
            ++orphans;
            return true;
        }
        *error = w.db.message();
        return false;
    };

    bool ok = run(w.begin);
    for (const PlanStep& step : plan.steps) {
        if (!ok) break;
        const QueuedWrite* write = step.write;
        switch (step.kind) {
            case PlanStep::Kind::Create: {
                const auto& created = std::get<NewConversation>(write->payload);
                w.create.bindAll(created.id, created.route, created.keyName, created.createdAt);
                ok = run(w.create);
                break;
            }
            case PlanStep::Kind::Delete:
                w.remove.bindAll(*write->conversationId);
                ok = run(w.remove);
                w.known.forget(*write->conversationId);
                break;
            case PlanStep::Kind::Segment: {
                const SegmentRow& segment = plan.segments[step.index];
                w.segment.bindAll(*segment.conversationId, segment.firstSeq, segment.lastSeq,
                                  segment.turns, segment.frames);
                ok = run(w.segment);
                break;
            }
            case PlanStep::Kind::Turns:
                ok = applyTurnRows(w, plan.turnRows[step.index], run);
                break;
            case PlanStep::Kind::State:
                w.state.bind(1, *write->conversationId);
                w.state.bindBlob(2, std::get<std::string>(write->payload));
                ok = run(w.state);
                break;
            case PlanStep::Kind::Touch: {
                const ConversationTouch& touch = plan.touches[step.index];
                w.touch.bindAll(*touch.conversationId, touch.updatedAt, touch.lastSeq, touch.turns);
                if (touch.title)
                    w.touch.bind(5, *touch.title);
                else
                    w.touch.bindNull(5);
                ok = run(w.touch);
                break;
            }
            case PlanStep::Kind::Retention: {
                const auto& retention = std::get<RetentionWrite>(write->payload);
                auto& [request, ids] =
                    retentions.emplace_back(&retention, std::vector<std::string>{});
                w.known.forgetAll();
                w.expireOld.bindAll(retention.olderThan,
                                    static_cast<std::int64_t>(retention.limit));
                ok = run(w.expireOld, &ids);
                if (ok && retention.maxPerKey > 0 && ids.size() < retention.limit) {
                    w.capPerKey.bindAll(static_cast<std::int64_t>(retention.maxPerKey),
                                        static_cast<std::int64_t>(retention.limit - ids.size()));
                    ok = run(w.capPerKey, &ids);
                }
                break;
            }
            case PlanStep::Kind::KeyTokens: {
                const auto& total = std::get<KeyTokens>(write->payload);
                w.keyTokens.bindAll(total.keyName, total.day,
                                    static_cast<std::int64_t>(total.tokens));
                ok = run(w.keyTokens);
                if (ok) {
                    w.oldKeyTokens.bind(1, total.day);
                    ok = run(w.oldKeyTokens);
                }
                break;
            }
        }
    }
    if (ok) ok = run(w.commit);
    if (!ok) {
        StatementUse use(w.rollback);
        w.rollback.step();
        w.known.forgetAll();  // it learned writes that are undone now
    }
    if (orphans > 0)
        logger().warning(std::to_string(orphans) +
                         " writes for conversations that no longer exist were dropped");

    // A retention request is answered now either way: it is not kept for a retry.
    if (ok) {
        for (auto& [request, ids] : retentions) request->result->set_value(std::move(ids));
    } else {
        pending_.eraseIf([](const QueuedWrite& write) {
            const auto* retention = std::get_if<RetentionWrite>(&write.payload);
            if (retention) retention->result->set_value({});
            return retention != nullptr;
        });
    }
    return ok;
}

void SqliteStore::boundPending() {
    std::size_t bytes = 0;
    for (const QueuedWrite& write : pending_) bytes += write.approximateBytes();
    std::size_t dropped = 0;
    for (auto oldest = pending_.begin();
         oldest != pending_.end() &&
         (pending_.size() - dropped > options_.maxKeptWrites || bytes > options_.maxKeptBytes);
         ++oldest) {
        bytes -= oldest->approximateBytes();
        ++dropped;
    }
    if (dropped == 0) return;
    pending_.dropOldest(dropped);
    droppedWrites_.fetch_add(dropped, std::memory_order_relaxed);
    logger().error("the conversation store dropped its " + std::to_string(dropped) +
                   " oldest unsaved writes to stay within its memory bound");
}

void SqliteStore::countCommit(std::size_t writes) {
    int pages = 0, highwater = 0;
    sqlite3_db_status(writer_->db.handle(), SQLITE_DBSTATUS_CACHE_WRITE, &pages, &highwater,
                      /*reset*/ 1);
    committedBatches_.fetch_add(1, std::memory_order_relaxed);
    committedWrites_.fetch_add(writes, std::memory_order_relaxed);
    pagesWritten_.fetch_add(static_cast<std::uint64_t>(pages), std::memory_order_relaxed);
}

SqliteStore::WriterStats SqliteStore::writerStats() const {
    return WriterStats{committedBatches_.load(std::memory_order_relaxed),
                       committedWrites_.load(std::memory_order_relaxed),
                       pagesWritten_.load(std::memory_order_relaxed)};
}

void SqliteStore::setHealth(bool ok, const std::string& reason) {
    std::lock_guard lock(healthMutex_);
    if (health_.ok == ok && health_.reason == reason) return;
    if (!ok)
        logger().error(reason);
    else
        logger().information("the conversation store writes to " + path_ + " again");
    health_ = StoreHealth{ok, reason};
}

StoreHealth SqliteStore::health() const {
    StoreHealth health;
    {
        std::lock_guard lock(healthMutex_);
        health = health_;
    }
    health.failedCommits = failedCommits_.load(std::memory_order_relaxed);
    health.droppedWrites = droppedWrites_.load(std::memory_order_relaxed);
    health.failedReads = failedReads_.load(std::memory_order_relaxed);
    return health;
}

// ---- Reads.

std::unique_ptr<SqliteStore::ReadConnection> SqliteStore::acquireReader() {
    {
        std::lock_guard lock(readersMutex_);
        if (!idleReaders_.empty()) {
            auto reader = std::move(idleReaders_.back());
            idleReaders_.pop_back();
            return reader;
        }
    }
    auto reader = std::make_unique<ReadConnection>();
    std::string error;
    if (!reader->open(path_, options_.busyTimeout, &error)) {
        logger().error("cannot read the conversation store " + path_ + ": " + error);
        failedReads_.fetch_add(1, std::memory_order_relaxed);
        return nullptr;
    }
    return reader;
}

void SqliteStore::releaseReader(std::unique_ptr<ReadConnection> reader) {
    std::lock_guard lock(readersMutex_);
    if (idleReaders_.size() < kMaxIdleReaders) idleReaders_.push_back(std::move(reader));
}

template <class Read>
auto SqliteStore::withReader(Read read) -> decltype(read(std::declval<ReadConnection&>())) {
    auto reader = acquireReader();
    if (!reader) return {};
    auto result = read(*reader);
    releaseReader(std::move(reader));
    return result;
}

std::optional<ConversationInfo> SqliteStore::find(const std::string& conversationId) {
    return withReader([&](ReadConnection& r) -> std::optional<ConversationInfo> {
        StatementUse use(r.find);
        r.find.bind(1, conversationId);
        if (r.find.step() != SQLITE_ROW) return std::nullopt;
        return readConversation(r.find);
    });
}

std::vector<FrameRecord> SqliteStore::frames(const std::string& conversationId,
                                             std::int64_t afterSeq, std::int64_t upToSeq,
                                             std::size_t limit) {
    return withReader([&](ReadConnection& r) {
        std::vector<FrameRecord> out;
        if (limit == 0 || upToSeq <= afterSeq) return out;
        StatementUse use(r.frames);
        r.frames.bindAll(conversationId, afterSeq);
        while (out.size() < limit && r.frames.step() == SQLITE_ROW) {
            const std::int64_t firstSeq = r.frames.integer(0);
            if (firstSeq > upToSeq) break;
            const std::vector<int> turns = decodeTurnRuns(r.frames.text(2));
            std::string_view lines = r.frames.text(3);
            for (std::size_t line = 0; out.size() < limit && !lines.empty(); ++line) {
                const std::size_t end = std::min(lines.find('\n'), lines.size());
                const std::int64_t seq = firstSeq + static_cast<std::int64_t>(line);
                if (seq > upToSeq) break;
                if (seq > afterSeq)
                    out.push_back(FrameRecord{seq, line < turns.size() ? turns[line] : 0,
                                              std::string(lines.substr(0, end))});
                lines.remove_prefix(std::min(end + 1, lines.size()));
            }
        }
        return out;
    });
}

std::vector<TurnRecord> SqliteStore::turns(const std::string& conversationId) {
    return withReader([&](ReadConnection& r) {
        // Rows in the order they were written: a later version of a turn replaces an earlier.
        std::map<int, TurnRecord> latest;
        StatementUse use(r.turns);
        r.turns.bind(1, conversationId);
        while (r.turns.step() == SQLITE_ROW) {
            std::string_view lines = r.turns.text(0);
            while (!lines.empty()) {
                const std::size_t end = std::min(lines.find('\n'), lines.size());
                if (auto turn = parseTurnRecordJson(lines.substr(0, end)))
                    latest[turn->turn] = std::move(*turn);
                else
                    logger().warning("a stored turn of " + conversationId + " cannot be read");
                lines.remove_prefix(std::min(end + 1, lines.size()));
            }
        }
        std::vector<TurnRecord> out;
        out.reserve(latest.size());
        for (auto& [number, turn] : latest) out.push_back(std::move(turn));
        return out;
    });
}

std::string SqliteStore::pluginState(const std::string& conversationId) {
    return withReader([&](ReadConnection& r) {
        StatementUse use(r.state);
        r.state.bind(1, conversationId);
        return r.state.step() == SQLITE_ROW ? std::string(r.state.text(0)) : std::string();
    });
}

ListPage SqliteStore::list(const ListQuery& query) {
    ListCursor after{std::numeric_limits<Millis>::max(), ""};
    if (!query.cursor.empty()) {
        auto decoded = decodeListCursor(query.cursor);
        if (!decoded) return {};
        after = std::move(*decoded);
    }
    const std::size_t limit = std::clamp<std::size_t>(query.limit, 1, kMaxListLimit);
    return withReader([&](ReadConnection& r) {
        ListPage page;
        StatementUse use(r.list);
        // One more than the page: is there a next one?
        r.list.bindAll(query.keyName, query.route, after.updatedAt, after.id,
                       static_cast<std::int64_t>(limit + 1));
        while (r.list.step() == SQLITE_ROW) page.conversations.push_back(readConversation(r.list));
        if (page.conversations.size() > limit) {
            page.conversations.pop_back();
            const ConversationInfo& last = page.conversations.back();
            page.next = encodeListCursor({last.updatedAt, last.id});
        }
        return page;
    });
}

std::vector<KeyTokens> SqliteStore::keyTokens(std::int64_t day) {
    return withReader([&](ReadConnection& r) {
        std::vector<KeyTokens> out;
        StatementUse use(r.keyTokens);
        r.keyTokens.bind(1, day);
        while (r.keyTokens.step() == SQLITE_ROW)
            out.push_back(KeyTokens{std::string(r.keyTokens.text(0)), day,
                                    static_cast<std::uint64_t>(r.keyTokens.integer(1))});
        return out;
    });
}

std::vector<OpenTurn> SqliteStore::openTurns() {
    return withReader([&](ReadConnection& r) {
        std::vector<OpenTurn> out;
        StatementUse use(r.openTurns);
        while (r.openTurns.step() == SQLITE_ROW)
            out.push_back(OpenTurn{std::string(r.openTurns.text(0)),
                                   static_cast<int>(r.openTurns.integer(1)),
                                   r.openTurns.integer(2)});
        return out;
    });
}

}  // namespace agenthost::store
