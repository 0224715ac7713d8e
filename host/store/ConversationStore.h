// Where conversations are kept: their turns, every frame sent for them (with its seq), and the
// plugin's session state. One small interface so that the embedded SQLite store, a shared
// PostgreSQL one, or none at all can sit behind the same callers.
//
// Writes are queued in call order and applied by the store's own writer in batches (group
// commit), so a caller never waits for the disk: a write returns a ticket, and it is durable
// once committedTicket() has reached it. Reads run synchronously on the caller's thread (never
// the event-loop thread) and see every committed write.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace agenthost::store {

using Millis = std::int64_t;  // milliseconds since the Unix epoch
using Ticket = std::uint64_t;

// A conversation's id as its owner holds it: a write carries the pointer instead of a copy of the
// id (three writes per echo round trip), and the store tells the writes of one conversation apart
// by it. The owner makes it without allocating, with the aliasing constructor of shared_ptr.
using ConversationRef = std::shared_ptr<const std::string>;

struct TokenUsage {
    std::uint64_t inputTokens = 0;
    std::uint64_t outputTokens = 0;
    bool hasCache = false;  // the plugin reported prompt-cache counts
    std::uint64_t cacheCreationInputTokens = 0;
    std::uint64_t cacheReadInputTokens = 0;
};

// A frame as it was sent live: its seq, its turn and its JSON text, field for field (without
// "replay", which the replaying side adds).
struct FrameRecord {
    std::int64_t seq = 0;
    int turn = 0;
    std::string json;
};

enum class TurnStatus { Running, Complete, Error, Cancelled, Interrupted };

struct TurnRecord {
    int turn = 0;
    std::string user;       // the user's message
    std::string assistant;  // the response text as sent (possibly partial)
    TurnStatus status = TurnStatus::Running;
    std::string stopReason;  // "" when none
    std::optional<TokenUsage> usage;
    std::string errorCode;  // for Error/Cancelled/Interrupted
    std::string errorMessage;
    Millis startedAt = 0;
    Millis finishedAt = 0;  // 0 while running
    // No seq above this was sent while the turn was saved like this: crash recovery numbers
    // the frames it adds above it, so a seq a client has seen is never given to another frame.
    std::int64_t seqReserved = 0;
    // The plugin's opaque data for the turn (set_turn_data), handed back with the history;
    // never shown to clients.
    std::string pluginData;
};

struct NewConversation {
    std::string id;
    std::string route;
    std::string keyName;
    Millis createdAt = 0;
};

struct ConversationInfo {
    std::string id;
    std::string route;
    std::string keyName;
    std::string title;  // the first user message, cut to 80 code points
    Millis createdAt = 0;
    Millis updatedAt = 0;
    int turns = 0;
    std::int64_t lastSeq = 0;
};

struct ListQuery {
    std::string keyName;  // only this key name's conversations
    std::string route;    // "" for every route
    std::size_t limit = 50;
    std::string cursor;  // "" for the first page, else a ListPage::next
};

struct ListPage {
    std::vector<ConversationInfo> conversations;  // newest first by updatedAt
    std::string next;                             // "" when this is the last page
};

// A turn that was still running when the host stopped without closing it (a crash or kill -9).
struct OpenTurn {
    std::string conversationId;
    int turn = 0;
    std::int64_t lastSeq = 0;  // the conversation's highest stored seq
};

// The tokens one key name used on one day (days since the Unix epoch, UTC), across routes.
struct KeyTokens {
    std::string keyName;
    std::int64_t day = 0;
    std::uint64_t tokens = 0;
};

struct StoreHealth {
    bool ok = true;
    std::string reason;  // why not, in a sentence (disk full, file not writable, ...)
    // Since the store was opened, for the metrics.
    std::uint64_t failedCommits = 0;  // write batches that could not be committed
    std::uint64_t droppedWrites = 0;  // writes given up (memory bound, or stopping)
    std::uint64_t failedReads = 0;    // reads that could not get a connection
};

class ConversationStore {
  public:
    virtual ~ConversationStore() = default;

    // ---- Writes: queued, applied in call order by the writer, committed in batches.
    virtual Ticket createConversation(const NewConversation& conversation) = 0;
    virtual Ticket appendFrame(const std::string& conversationId, FrameRecord frame) = 0;
    // Inserts or replaces the turn (conversationId, turn.turn); also sets the conversation's
    // title (from turn 1), turn count and updatedAt.
    virtual Ticket saveTurn(const std::string& conversationId, TurnRecord turn) = 0;
    virtual Ticket savePluginState(const std::string& conversationId, std::string state) = 0;
    // The same, by reference: what a live conversation calls. A store that has no use for the
    // reference need not implement them.
    virtual Ticket appendFrame(const ConversationRef& conversation, FrameRecord frame) {
        return appendFrame(*conversation, std::move(frame));
    }
    virtual Ticket saveTurn(const ConversationRef& conversation, TurnRecord turn) {
        return saveTurn(*conversation, std::move(turn));
    }
    virtual Ticket savePluginState(const ConversationRef& conversation, std::string state) {
        return savePluginState(*conversation, std::move(state));
    }
    // saveTurn, then appendFrame, as one write: a turn's start (its running record and the user
    // frame) or its end (the final record and the terminal frame) are committed together.
    virtual Ticket saveTurnWithFrame(const ConversationRef& conversation, TurnRecord turn,
                                     FrameRecord frame) {
        saveTurn(conversation, std::move(turn));
        return appendFrame(conversation, std::move(frame));
    }
    virtual Ticket deleteConversation(const std::string& conversationId) = 0;
    // A key's token total for a day (limits/KeyLimits.h); a lower total than the stored one
    // changes nothing, so totals saved out of order do no harm.
    virtual Ticket saveKeyTokens(KeyTokens total) = 0;

    // The highest ticket whose write is durable.
    virtual Ticket committedTicket() const = 0;
    // Blocks until every write queued before the call is committed (or has failed).
    virtual void flush() = 0;

    // ---- Reads.
    virtual std::optional<ConversationInfo> find(const std::string& conversationId) = 0;
    // Frames with afterSeq < seq <= upToSeq, in seq order, at most `limit` of them.
    virtual std::vector<FrameRecord> frames(const std::string& conversationId,
                                            std::int64_t afterSeq, std::int64_t upToSeq,
                                            std::size_t limit) = 0;
    virtual std::vector<TurnRecord> turns(const std::string& conversationId) = 0;
    virtual std::string pluginState(const std::string& conversationId) = 0;
    virtual ListPage list(const ListQuery& query) = 0;
    // Every key's token total for `day`.
    virtual std::vector<KeyTokens> keyTokens(std::int64_t day) = 0;

    // ---- Maintenance.
    // Turns stored as Running: at start, before any connection, to close them as interrupted.
    virtual std::vector<OpenTurn> openTurns() = 0;
    // Deletes conversations not updated since `olderThan`, and each key's oldest beyond
    // `maxPerKey` (0: no cap), at most `limit` of them in one go: a sweep calls again while it
    // gets `limit` back, so that no single write holds the store for long. Returns the ids
    // deleted.
    virtual std::vector<std::string> enforceRetention(Millis olderThan, std::size_t maxPerKey,
                                                      std::size_t limit) = 0;
    virtual StoreHealth health() const = 0;
};

}  // namespace agenthost::store
