// The writes a store queues, and how one batch of them is coalesced before it reaches the
// database: the consecutive frames of a conversation become one segment row, its saved turns
// one turn row (several saves of a turn keep only the last), and the conversation row is updated
// once per batch; a statement costs far more than its row. The plan points into the queued
// writes (no copies but the rows' joined text), so a batch that fails can be planned again.
#pragma once

#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "store/ConversationStore.h"

namespace agenthost::store {

struct DeleteWrite {};

// enforceRetention(): runs on the writer in call order; the caller waits for `result`.
struct RetentionWrite {
    Millis olderThan = 0;
    std::size_t maxPerKey = 0;
    std::size_t limit = 0;  // conversations deleted at most
    std::shared_ptr<std::promise<std::vector<std::string>>> result;
};

// saveTurnWithFrame(): the turn is saved before the frame is appended.
struct TurnWithFrame {
    TurnRecord turn;
    FrameRecord frame;
};

struct QueuedWrite {
    Ticket ticket = 0;
    ConversationRef conversationId;  // never null; empty for writes not about a conversation
    std::variant<NewConversation, FrameRecord, TurnRecord, std::string /* plugin state */,
                 DeleteWrite, RetentionWrite, KeyTokens, TurnWithFrame>
        payload;

    std::size_t approximateBytes() const;
};

// A run of consecutive frames of one conversation: line i of `frames` has seq firstSeq + i.
struct SegmentRow {
    const std::string* conversationId = nullptr;
    std::int64_t firstSeq = 0;
    std::int64_t lastSeq = 0;
    std::string turns;  // run-length encoded, "3*2,4*1"
    std::string frames;
    int lastTurn = 0;            // while building: the turn of the last line
    int turnRun = 0;             // while building: how many lines the last run has
    std::size_t frameBytes = 0;  // while building: the size `frames` will have
};

// The turns of one conversation saved in the batch, each in its last saved version, as one
// row of JSON lines (see TurnRecordJson.h); and which of them end the batch running or not.
struct TurnRows {
    const std::string* conversationId = nullptr;
    int firstTurn = 0;
    int lastTurn = 0;
    std::string records;
    int endedFrom = 0;  // the range of turns whose last save is not Running (0: none)
    int endedTo = 0;
    std::vector<int> running;  // turns whose last save is Running
};

// What the batch changes on the conversation row itself.
struct ConversationTouch {
    const std::string* conversationId = nullptr;
    Millis updatedAt = 0;
    std::int64_t lastSeq = 0;
    int turns = 0;
    std::optional<std::string> title;  // set when turn 1 is saved
};

struct PlanStep {
    enum class Kind { Create, Delete, Segment, Turns, State, Touch, Retention, KeyTokens } kind;
    const QueuedWrite* write = nullptr;  // Create, Delete, State, Retention, KeyTokens
    std::size_t index = 0;  // Segment: into segments; Turns: into turnRows; Touch: into touches
};

struct WritePlan {
    std::vector<PlanStep> steps;  // in an order that keeps each conversation's call order
    std::vector<SegmentRow> segments;
    std::vector<TurnRows> turnRows;
    std::vector<ConversationTouch> touches;
};

class WriteQueue;

// Coalesces `writes` (in ticket order) into the rows to write.
WritePlan planWrites(const std::vector<QueuedWrite>& writes);
WritePlan planWrites(const WriteQueue& writes);

// The title of a conversation: its first user message cut to 80 code points.
std::string conversationTitle(const std::string& firstUserMessage);

// Each line's turn from a run-length encoded list ("3*2,4*1": 3, 3, 4).
std::vector<int> decodeTurnRuns(std::string_view runs);

}  // namespace agenthost::store
