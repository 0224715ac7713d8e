#include "store/WriteBatch.h"

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "store/TurnRecordJson.h"
#include "store/WriteQueue.h"

namespace agenthost::store {

namespace {

constexpr std::size_t kTitleCodePoints = 80;

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};

void appendNumber(std::string& out, int value) {
    char digits[16];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

// The turn a write saves (a TurnRecord, or the turn of a TurnWithFrame).
const TurnRecord& savedTurn(const QueuedWrite& write) {
    if (const auto* both = std::get_if<TurnWithFrame>(&write.payload)) return both->turn;
    return std::get<TurnRecord>(write.payload);
}

std::size_t turnBytes(const TurnRecord& t) {
    return t.user.size() + t.assistant.size() + t.errorMessage.size();
}

void appendRun(std::string& runs, int turn, int count) {
    if (!runs.empty()) runs += ',';
    appendNumber(runs, turn);
    runs += '*';
    appendNumber(runs, count);
}

using TurnSaves = std::vector<std::pair<int, const QueuedWrite*>>;  // sorted by turn

// Keeps `write` as the last save of its turn. Turns are saved in order but for a rare one
// (a queued turn saved before the running one ends), so this is nearly always a push_back.
void keepLastSave(TurnSaves& saves, int turn, const QueuedWrite* write) {
    auto at = saves.end();
    if (!saves.empty() && saves.back().first >= turn)
        at = std::lower_bound(saves.begin(), saves.end(), turn,
                              [](const auto& save, int number) { return save.first < number; });
    if (at != saves.end() && at->first == turn)
        at->second = write;
    else
        saves.insert(at, {turn, write});
}

// What one conversation's writes in the batch add up to, until they are emitted as steps.
struct Pending {
    const std::string* conversationId = nullptr;
    std::vector<std::size_t> segments;
    TurnSaves turns;  // the last save of each turn
    const QueuedWrite* state = nullptr;
    bool touched = false;
    ConversationTouch touch;

    // Nothing pending any more for the same conversation.
    void clear() { *this = Pending{conversationId, {}, {}, nullptr, false, {}}; }
};

class Planner {
  public:
    WritePlan take() {
        for (Pending& pending : pending_) emit(pending);
        joinFrames();
        return std::move(plan_);
    }

    void add(const QueuedWrite& write) {
        std::visit(Overloaded{
                       [&](const NewConversation&) {
                           emit(pendingFor(write));
                           step(PlanStep::Kind::Create, &write);
                       },
                       [&](const FrameRecord& frame) { addFrame(pendingFor(write), frame); },
                       [&](const TurnRecord& turn) { addTurn(pendingFor(write), write, turn); },
                       [&](const TurnWithFrame& both) {
                           Pending& pending = pendingFor(write);
                           addTurn(pending, write, both.turn);
                           addFrame(pending, both.frame);
                       },
                       [&](const std::string&) { pendingFor(write).state = &write; },
                       [&](const DeleteWrite&) {
                           // Everything pending for it is deleted anyway.
                           pendingFor(write).clear();
                           step(PlanStep::Kind::Delete, &write);
                       },
                       [&](const RetentionWrite&) {
                           // Retention judges what the earlier writes left.
                           for (Pending& pending : pending_) emit(pending);
                           step(PlanStep::Kind::Retention, &write);
                       },
                       // Not about a conversation: its order against them does not matter.
                       [&](const KeyTokens&) { step(PlanStep::Kind::KeyTokens, &write); },
                   },
                   write.payload);
    }

  private:
    // By the reference first: hashing a pointer is cheaper than hashing the id. Another
    // reference to the same id (a write by id, or a conversation loaded again) joins the same
    // conversation by its text.
    Pending& pendingFor(const QueuedWrite& write) {
        const std::string* id = write.conversationId.get();
        if (auto known = byReference_.find(id); known != byReference_.end())
            return pending_[known->second];
        auto [it, added] = index_.try_emplace(*id, pending_.size());
        if (added) pending_.push_back(Pending{id, {}, {}, nullptr, false, {}});
        byReference_.emplace(id, it->second);
        return pending_[it->second];
    }

    void step(PlanStep::Kind kind, const QueuedWrite* write, std::size_t index = 0) {
        plan_.steps.push_back(PlanStep{kind, write, index});
    }

    void addFrame(Pending& pending, const FrameRecord& frame) {
        SegmentRow* segment =
            pending.segments.empty() ? nullptr : &plan_.segments[pending.segments.back()];
        // Seqs of one conversation are consecutive; anything else starts a new row.
        const bool startsRow = !segment || frame.seq != segment->lastSeq + 1;
        if (startsRow) {
            pending.segments.push_back(plan_.segments.size());
            segment = &plan_.segments.emplace_back();
            segment->conversationId = pending.conversationId;
            segment->firstSeq = frame.seq;
        } else {
            ++segment->frameBytes;  // the newline before it
        }
        segment->lastSeq = frame.seq;
        segment->frameBytes += frame.json.size();
        frameLines_.push_back(FrameLine{pending.segments.back(), &frame.json, startsRow});
        if (segment->turnRun > 0 && segment->lastTurn == frame.turn) {
            ++segment->turnRun;
        } else {
            if (segment->turnRun > 0)
                appendRun(segment->turns, segment->lastTurn, segment->turnRun);
            segment->lastTurn = frame.turn;
            segment->turnRun = 1;
        }
        pending.touched = true;
        pending.touch.lastSeq = std::max(pending.touch.lastSeq, frame.seq);
    }

    void addTurn(Pending& pending, const QueuedWrite& write, const TurnRecord& turn) {
        keepLastSave(pending.turns, turn.turn, &write);
        pending.touched = true;
        ConversationTouch& touch = pending.touch;
        touch.turns = std::max(touch.turns, turn.turn);
        touch.updatedAt = std::max({touch.updatedAt, turn.startedAt, turn.finishedAt});
        if (turn.turn == 1) touch.title = conversationTitle(turn.user);
    }

    // Turns the conversation's pending writes into steps and starts it afresh.
    void emit(Pending& pending) {
        for (std::size_t index : pending.segments) {
            SegmentRow& segment = plan_.segments[index];
            appendRun(segment.turns, segment.lastTurn, segment.turnRun);
            segment.turnRun = 0;
            step(PlanStep::Kind::Segment, nullptr, index);
        }
        if (!pending.turns.empty()) {
            step(PlanStep::Kind::Turns, nullptr, plan_.turnRows.size());
            plan_.turnRows.push_back(turnRows(pending));
        }
        if (pending.state) step(PlanStep::Kind::State, pending.state);
        if (pending.touched) {
            pending.touch.conversationId = pending.conversationId;
            step(PlanStep::Kind::Touch, nullptr, plan_.touches.size());
            plan_.touches.push_back(std::move(pending.touch));
        }
        pending.clear();
    }

    // Each segment's text is joined once its size is known: one allocation per row instead of
    // a string regrown (and moved) as its frames arrive.
    void joinFrames() {
        for (SegmentRow& segment : plan_.segments) segment.frames.reserve(segment.frameBytes);
        for (const FrameLine& line : frameLines_) {
            std::string& frames = plan_.segments[line.segment].frames;
            if (!line.startsRow) frames += '\n';
            frames += *line.json;
        }
    }

    static TurnRows turnRows(const Pending& pending) {
        TurnRows rows;
        rows.conversationId = pending.conversationId;
        rows.firstTurn = pending.turns.begin()->first;
        rows.lastTurn = pending.turns.rbegin()->first;
        for (const auto& [number, write] : pending.turns) {
            const TurnRecord& turn = savedTurn(*write);
            if (!rows.records.empty()) rows.records += '\n';
            appendTurnRecordJson(rows.records, turn);
            if (turn.status == TurnStatus::Running) {
                rows.running.push_back(number);
            } else {
                if (rows.endedFrom == 0) rows.endedFrom = number;
                rows.endedTo = number;
            }
        }
        return rows;
    }

    // A frame to join into its segment's text.
    struct FrameLine {
        std::size_t segment = 0;
        const std::string* json = nullptr;
        bool startsRow = false;
    };

    WritePlan plan_;
    std::vector<FrameLine> frameLines_;  // in call order
    std::vector<Pending> pending_;       // in order of first appearance
    std::unordered_map<std::string_view, std::size_t> index_;
    std::unordered_map<const std::string*, std::size_t> byReference_;
};

}  // namespace

std::size_t QueuedWrite::approximateBytes() const {
    const std::size_t base = sizeof(QueuedWrite) + conversationId->size();
    return base +
           std::visit(
               Overloaded{
                   [](const NewConversation& c) { return c.route.size() + c.keyName.size(); },
                   [](const FrameRecord& f) { return f.json.size(); },
                   [](const TurnRecord& t) { return turnBytes(t); },
                   [](const TurnWithFrame& b) { return turnBytes(b.turn) + b.frame.json.size(); },
                   [](const std::string& state) { return state.size(); },
                   [](const auto&) { return std::size_t{0}; },
               },
               payload);
}

template <class Writes>
WritePlan planAll(const Writes& writes) {
    Planner planner;
    for (const QueuedWrite& write : writes) planner.add(write);
    return planner.take();
}

WritePlan planWrites(const std::vector<QueuedWrite>& writes) {
    return planAll(writes);
}

WritePlan planWrites(const WriteQueue& writes) {
    return planAll(writes);
}

std::string conversationTitle(const std::string& firstUserMessage) {
    std::size_t codePoints = 0;
    for (std::size_t i = 0; i < firstUserMessage.size(); ++i) {
        // A code point starts at every byte that is not a continuation byte (10xxxxxx).
        if ((static_cast<unsigned char>(firstUserMessage[i]) & 0xC0) != 0x80 &&
            ++codePoints > kTitleCodePoints)
            return firstUserMessage.substr(0, i);
    }
    return firstUserMessage;
}

std::vector<int> decodeTurnRuns(std::string_view runs) {
    std::vector<int> turns;
    while (!runs.empty()) {
        int turn = 0, count = 0;
        const char* end = runs.data() + runs.size();
        auto [afterTurn, e1] = std::from_chars(runs.data(), end, turn);
        if (e1 != std::errc() || afterTurn == end || *afterTurn != '*') break;
        auto [afterCount, e2] = std::from_chars(afterTurn + 1, end, count);
        if (e2 != std::errc() || count < 0) break;
        turns.insert(turns.end(), static_cast<std::size_t>(count), turn);
        runs.remove_prefix(static_cast<std::size_t>(afterCount - runs.data()));
        if (!runs.empty() && runs.front() == ',') runs.remove_prefix(1);
    }
    return turns;
}

}  // namespace agenthost::store
