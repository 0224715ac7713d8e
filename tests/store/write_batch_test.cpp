// planWrites: how one batch of queued writes becomes rows, in an order that keeps each
// conversation's call order; and what the writer costs per echo round trip.
#include <gtest/gtest.h>
#include <time.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "StoreTestSupport.h"
#include "store/TurnRecordJson.h"
#include "store/WriteBatch.h"
#include "util/Utf8.h"

namespace agenthost::store::test {
namespace {

using agenthost::test::TempDir;
using Kind = PlanStep::Kind;

std::vector<Kind> kinds(const WritePlan& plan) {
    std::vector<Kind> out;
    for (const auto& step : plan.steps) out.push_back(step.kind);
    return out;
}

TEST(WriteBatch, OneSegmentPerRunOfFramesAndTheLastSaveOfEachTurn) {
    std::vector<QueuedWrite> writes;
    Ticket ticket = 0;
    const auto add = [&](const std::string& id, auto payload) {
        writes.push_back(
            QueuedWrite{++ticket, std::make_shared<const std::string>(id), std::move(payload)});
    };
    add("a", newConversation("a"));
    add("a", frameRecord(1, 1));
    add("b", frameRecord(7, 4));
    add("a", turnRecord(1, TurnStatus::Running, 10, "first"));
    add("a", frameRecord(2, 1));
    add("a", frameRecord(3, 2));
    add("a", turnRecord(1, TurnStatus::Complete, 10, "first"));
    add("a", std::string("state"));
    const WritePlan plan = planWrites(writes);
    EXPECT_EQ(kinds(plan), (std::vector<Kind>{Kind::Create, Kind::Segment, Kind::Turns, Kind::State,
                                              Kind::Touch, Kind::Segment, Kind::Touch}));
    const SegmentRow& a = plan.segments[plan.steps[1].index];
    EXPECT_EQ(a.firstSeq, 1);
    EXPECT_EQ(a.lastSeq, 3);
    EXPECT_EQ(a.turns, "1*2,2*1");
    EXPECT_EQ(a.frames, frameRecord(1, 1).json + "\n" + frameRecord(2, 1).json + "\n" +
                            frameRecord(3, 2).json);
    const TurnRows& turns = plan.turnRows[plan.steps[2].index];
    EXPECT_EQ(turns.firstTurn, 1);
    EXPECT_EQ(turns.lastTurn, 1);
    EXPECT_EQ(turns.endedFrom, 1);
    EXPECT_EQ(turns.endedTo, 1);
    EXPECT_TRUE(turns.running.empty());
    const auto saved = parseTurnRecordJson(turns.records);
    ASSERT_TRUE(saved);
    EXPECT_EQ(saved->status, TurnStatus::Complete);
    EXPECT_EQ(saved->user, "first");
    const ConversationTouch& touch = plan.touches[plan.steps[4].index];
    EXPECT_EQ(touch.lastSeq, 3);
    EXPECT_EQ(touch.turns, 1);
    EXPECT_EQ(touch.updatedAt, 11);
    EXPECT_EQ(touch.title, "first");
    EXPECT_EQ(plan.segments[plan.steps[5].index].turns, "4*1");
    EXPECT_EQ(decodeTurnRuns("1*2,2*1"), (std::vector<int>{1, 1, 2}));
}

// A turn's start (running record + user frame) and end (final record + terminal frame), each
// one write: a turn still running at the batch's end is stored as running; one that ended in the
// batch keeps only its final record and leaves no running row; frames stay in seq order.
TEST(WriteBatch, ATurnSavedWithItsFrameIsBothInOneBatch) {
    std::vector<QueuedWrite> writes;
    Ticket ticket = 0;
    const auto id = std::make_shared<const std::string>("a");
    const auto add = [&](auto payload) {
        writes.push_back(QueuedWrite{++ticket, id, std::move(payload)});
    };
    add(TurnWithFrame{turnRecord(1, TurnStatus::Running, 10, "first"), frameRecord(1, 1)});
    add(frameRecord(2, 1));
    add(TurnWithFrame{turnRecord(1, TurnStatus::Complete, 10, "first"), frameRecord(3, 1)});
    add(TurnWithFrame{turnRecord(2, TurnStatus::Running, 20, "second"), frameRecord(4, 2)});
    const WritePlan plan = planWrites(writes);
    EXPECT_EQ(kinds(plan), (std::vector<Kind>{Kind::Segment, Kind::Turns, Kind::Touch}));
    const SegmentRow& segment = plan.segments[plan.steps[0].index];
    EXPECT_EQ(segment.firstSeq, 1);
    EXPECT_EQ(segment.lastSeq, 4);
    EXPECT_EQ(segment.turns, "1*3,2*1");
    EXPECT_EQ(segment.frames, frameRecord(1, 1).json + "\n" + frameRecord(2, 1).json + "\n" +
                                  frameRecord(3, 1).json + "\n" + frameRecord(4, 2).json);
    const TurnRows& turns = plan.turnRows[plan.steps[1].index];
    EXPECT_EQ(turns.firstTurn, 1);
    EXPECT_EQ(turns.lastTurn, 2);
    EXPECT_EQ(turns.endedFrom, 1);
    EXPECT_EQ(turns.endedTo, 1);
    EXPECT_EQ(turns.running, (std::vector<int>{2}));
    const std::size_t newline = turns.records.find('\n');
    ASSERT_NE(newline, std::string::npos);
    const auto first = parseTurnRecordJson(std::string_view(turns.records).substr(0, newline));
    const auto second = parseTurnRecordJson(std::string_view(turns.records).substr(newline + 1));
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->status, TurnStatus::Complete);
    EXPECT_EQ(second->status, TurnStatus::Running);
    const ConversationTouch& touch = plan.touches[plan.steps[2].index];
    EXPECT_EQ(touch.lastSeq, 4);
    EXPECT_EQ(touch.turns, 2);
    EXPECT_EQ(touch.title, "first");
}

TEST(TurnRecordJson, KeepsThePluginDataAndTheCacheCounts) {
    TurnRecord turn;
    turn.turn = 4;
    turn.status = TurnStatus::Complete;
    turn.usage = TokenUsage{1, 2, true, 30, 400};
    turn.pluginData = R"([{"type":"thinking","signature":"s\n"}])";
    std::string json;
    appendTurnRecordJson(json, turn);
    const auto back = parseTurnRecordJson(json);
    ASSERT_TRUE(back && back->usage);
    EXPECT_EQ(back->pluginData, turn.pluginData);
    EXPECT_TRUE(back->usage->hasCache);
    EXPECT_EQ(back->usage->cacheCreationInputTokens, 30u);
    EXPECT_EQ(back->usage->cacheReadInputTokens, 400u);
}

// Found by fuzz_turn_record: a count above INT64_MAX (report_usage takes any uint64_t) was
// written as a negative number, which the reader refused: the whole turn was lost from history.
TEST(TurnRecordJson, KeepsTokenCountsAboveInt64Max) {
    TurnRecord turn;
    turn.turn = 1626430659;
    turn.status = TurnStatus::Cancelled;
    turn.user = "\xEF\xBF\xBD\t;";
    turn.stopReason = "\xEF\xBF\xBD";
    turn.usage = TokenUsage{9226128909292848075u, 92, true, UINT64_MAX, 1};
    std::string json;
    appendTurnRecordJson(json, turn);
    const auto back = parseTurnRecordJson(json);
    ASSERT_TRUE(back && back->usage);
    EXPECT_EQ(back->usage->inputTokens, 9226128909292848075u);
    EXPECT_EQ(back->usage->outputTokens, 92u);
    EXPECT_EQ(back->usage->cacheCreationInputTokens, UINT64_MAX);
    EXPECT_EQ(back->usage->cacheReadInputTokens, 1u);
}

// Found by fuzz_turn_record: turn data is opaque bytes (set_turn_data), but JSON strings hold
// only UTF-8, so a record whose data was not UTF-8 could not be read back and the turn was lost.
TEST(TurnRecordJson, KeepsTurnDataThatIsNotUtf8) {
    TurnRecord turn;
    turn.turn = 8092416;
    turn.status = TurnStatus::Running;
    turn.errorMessage = "\xEF\xBF\xBD";
    turn.startedAt = 263882790666240;
    turn.finishedAt = 72057589749801825;
    turn.seqReserved = 2007428374271129720;
    for (const std::string& data :
         {std::string("\xA4"), std::string("a\0b\xFF\xFE\n\"", 7), std::string(3000, '\x80')}) {
        turn.pluginData = data;
        std::string json;
        appendTurnRecordJson(json, turn);
        EXPECT_EQ(json.find('\n'), std::string::npos);
        const auto back = parseTurnRecordJson(json);
        ASSERT_TRUE(back);
        EXPECT_EQ(back->pluginData, data);
        EXPECT_EQ(back->errorMessage, turn.errorMessage);
        EXPECT_EQ(back->seqReserved, turn.seqReserved);
    }
}

// Found by fuzz_turn_record (under ASan): turn data in base64 with a byte that is not base64
// leaked the decoded part. The record stays unreadable, as before; valid base64 is decoded.
TEST(TurnRecordJson, TurnDataWithAByteThatIsNotBase64IsUnreadable) {
    const std::string record =
        R"({"turn":1,"status":"complete","plugin_data_base64":")"
        R"(aGVsbG8gd29ybGQgdGhpcyBpcyBhIGxvbmdlciB0ZXh0IHRoYW4gZmlmdGVlbiBieXRlcw)";
    EXPECT_FALSE(parseTurnRecordJson(record + "\u007f\"}"));
    const auto valid = parseTurnRecordJson(record + "\"}");
    ASSERT_TRUE(valid);
    EXPECT_EQ(valid->pluginData, "hello world this is a longer text than fifteen bytes");
}

// The escaping as it was first written, byte by byte: `"` and `\` get a backslash, bytes below
// 0x20 become \u00XX, every other byte (UTF-8 or not) is kept.
std::string escapedAsFirstWritten(std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20) {
            out += "\\u00";
            out += kHex[byte >> 4];
            out += kHex[byte & 0xF];
        } else {
            out += c;
        }
    }
    return out + "\"";
}

// Texts with every byte that needs escaping, at the start, middle and end, next to each other
// and next to multi-byte UTF-8 (2, 3 and 4 bytes); then random bytes, UTF-8 or not.
std::vector<std::string> textsToEscape() {
    std::vector<std::string> texts;
    for (int byte = 0; byte < 256; ++byte) {
        const std::string one(1, static_cast<char>(byte));
        texts.push_back(one);
        texts.push_back("ab" + one + "cd");
        texts.push_back(one + one + "\xC3\xA9" + one);
    }
    std::string everyControl;
    for (int byte = 0; byte < 0x20; ++byte) everyControl += static_cast<char>(byte);
    texts.push_back(everyControl + "\"\\\"\\/");
    texts.push_back("\xC3\xA9t\xC3\xA9 \xE2\x82\xAC\n\xF0\x9F\x98\x80\"\xEF\xBF\xBF\\\x7F");
    texts.push_back(std::string(5000, 'x') + "\n" + std::string(5000, '"'));
    std::mt19937 random(8);
    constexpr char kInteresting[] = {'\0', '\n', '\r', '\t', '\x1F', '"', '\\', 'a', '\x7F'};
    for (int n = 0; n < 3000; ++n) {
        std::string text;
        const std::size_t length = random() % 40;
        for (std::size_t i = 0; i < length; ++i) {
            const auto draw = random() % 4;
            if (draw == 0)
                text += kInteresting[random() % sizeof kInteresting];
            else if (draw == 1)
                text += "\xE2\x82\xAC";
            else
                text += static_cast<char>(random() % 256);
        }
        texts.push_back(text);
    }
    return texts;
}

// The span-wise escaping writes exactly what the byte-wise one did, for any bytes; what is UTF-8
// reads back unchanged in every text field. (Text that is not UTF-8 the host never stores: it
// repairs it first.)
TEST(TurnRecordJson, EscapesAsBeforeAndReadsEveryUtf8TextBack) {
    for (const std::string& text : textsToEscape()) {
        TurnRecord turn;
        turn.turn = 1;
        turn.status = TurnStatus::Complete;
        turn.user = text;
        std::string json;
        appendTurnRecordJson(json, turn);
        const std::string expected =
            R"({"turn":1,"status":"complete")" +
            (text.empty() ? "" : R"(,"user":)" + escapedAsFirstWritten(text)) +
            R"(,"started_at":0,"finished_at":0})";
        ASSERT_EQ(json, expected);
        if (!util::isValidUtf8(text)) continue;
        turn.assistant = text;
        turn.stopReason = text;
        turn.errorCode = text;
        turn.errorMessage = text;
        turn.pluginData = text;
        json.clear();
        appendTurnRecordJson(json, turn);
        EXPECT_EQ(json.find('\n'), std::string::npos);
        const auto back = parseTurnRecordJson(json);
        ASSERT_TRUE(back) << json;
        EXPECT_EQ(back->user, text);
        EXPECT_EQ(back->assistant, text);
        EXPECT_EQ(back->stopReason, text);
        EXPECT_EQ(back->errorCode, text);
        EXPECT_EQ(back->errorMessage, text);
        EXPECT_EQ(back->pluginData, text);
    }
}

// Empty texts are left out of a record, and a record that has them (as every record written
// before, and the ones a version 1 database migrates to) reads the same.
TEST(TurnRecordJson, EmptyTextsAreLeftOutAndReadEitherWay) {
    TurnRecord turn;
    turn.turn = 3;
    turn.status = TurnStatus::Running;
    turn.startedAt = 5;
    turn.seqReserved = 2000;
    std::string json;
    appendTurnRecordJson(json, turn);
    EXPECT_EQ(json, R"({"turn":3,"status":"running","started_at":5,"finished_at":0,)"
                    R"("seq_reserved":2000})");
    for (const std::string& line :
         {json, std::string(R"({"turn":3,"status":"running","user":"","assistant":"",)"
                            R"("stop_reason":"","error_code":"","error_message":"",)"
                            R"("started_at":5,"finished_at":0,"seq_reserved":2000})")}) {
        const auto back = parseTurnRecordJson(line);
        ASSERT_TRUE(back) << line;
        EXPECT_EQ(back->turn, 3);
        EXPECT_EQ(back->status, TurnStatus::Running);
        EXPECT_EQ(back->user, "");
        EXPECT_EQ(back->assistant, "");
        EXPECT_EQ(back->stopReason, "");
        EXPECT_EQ(back->errorCode, "");
        EXPECT_EQ(back->errorMessage, "");
        EXPECT_EQ(back->pluginData, "");
        EXPECT_EQ(back->startedAt, 5);
        EXPECT_EQ(back->seqReserved, 2000);
    }
}

// Saves of a turn that arrive out of order (a queued turn saved before the running one ends)
// still keep the last save of each, in turn order.
TEST(WriteBatch, TurnsSavedOutOfOrderKeepTheLastSaveOfEach) {
    std::vector<QueuedWrite> writes;
    Ticket ticket = 0;
    const auto id = std::make_shared<const std::string>("a");
    const auto add = [&](auto payload) {
        writes.push_back(QueuedWrite{++ticket, id, std::move(payload)});
    };
    add(turnRecord(2, TurnStatus::Running, 10, "second"));
    add(turnRecord(1, TurnStatus::Running, 10, "first"));
    add(turnRecord(3, TurnStatus::Running, 10, "third"));
    add(turnRecord(1, TurnStatus::Complete, 10, "first"));
    add(turnRecord(2, TurnStatus::Complete, 10, "second"));
    const WritePlan plan = planWrites(writes);
    ASSERT_EQ(plan.turnRows.size(), 1u);
    const TurnRows& rows = plan.turnRows[0];
    EXPECT_EQ(rows.firstTurn, 1);
    EXPECT_EQ(rows.lastTurn, 3);
    EXPECT_EQ(rows.endedFrom, 1);
    EXPECT_EQ(rows.endedTo, 2);
    EXPECT_EQ(rows.running, std::vector<int>{3});
    std::vector<std::pair<int, TurnStatus>> saved;
    std::string_view lines = rows.records;
    while (!lines.empty()) {
        const std::size_t end = std::min(lines.find('\n'), lines.size());
        const auto turn = parseTurnRecordJson(lines.substr(0, end));
        ASSERT_TRUE(turn);
        saved.emplace_back(turn->turn, turn->status);
        lines.remove_prefix(std::min(end + 1, lines.size()));
    }
    EXPECT_EQ(saved,
              (std::vector<std::pair<int, TurnStatus>>{
                  {1, TurnStatus::Complete}, {2, TurnStatus::Complete}, {3, TurnStatus::Running}}));
}

TEST(WriteBatch, ADeleteDropsWhatCameBeforeItAndRetentionSeesEverythingEarlier) {
    std::vector<QueuedWrite> writes;
    Ticket ticket = 0;
    const auto add = [&](const std::string& id, auto payload) {
        writes.push_back(
            QueuedWrite{++ticket, std::make_shared<const std::string>(id), std::move(payload)});
    };
    add("a", frameRecord(1, 1));
    add("b", frameRecord(1, 1));
    add("a", DeleteWrite{});
    add("", RetentionWrite{});
    add("b", frameRecord(2, 1));
    const WritePlan plan = planWrites(writes);
    EXPECT_EQ(kinds(plan), (std::vector<Kind>{Kind::Delete, Kind::Segment, Kind::Touch,
                                              Kind::Retention, Kind::Segment, Kind::Touch}));
}

double cpuSeconds(clockid_t clock) {
    timespec now{};
    ::clock_gettime(clock, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// The CPU seconds the store's writer thread ("store-writer") has run, from its schedstat.
double writerCpuSeconds() {
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        std::string name;
        std::getline(std::ifstream(task.path() / "comm"), name);
        if (name != "store-writer") continue;
        double nanoseconds = 0;
        std::ifstream(task.path() / "schedstat") >> nanoseconds;
        return nanoseconds * 1e-9;
    }
    ADD_FAILURE() << "no store-writer thread";
    return 0;
}

// An echo round trip as the conversation layer stores it: the turn saved as running with the
// user frame, the message frame, the turn saved as complete with the complete frame (three
// writes); of the bench's sizes
// (a 64-character message, echoed, frames of about 150 bytes). Built before the clock starts, so
// that only the store's work is measured.
struct RoundTrip {
    FrameRecord frames[3];
    TurnRecord running, complete;
};

FrameRecord echoFrame(std::int64_t seq, int turn, const std::string& type,
                      const std::string& content) {
    std::string json = R"({"type":")";
    json += type;
    json += R"(","content":")";
    json += content;
    json += R"(","timestamp":"2026-11-28T00:00:00.000Z","seq":)";
    json += std::to_string(seq);
    json += R"(,"turn":)";
    json += std::to_string(turn);
    json += '}';
    return FrameRecord{seq, turn, std::move(json)};
}

RoundTrip makeRoundTrip(int turn) {
    const std::int64_t seq = (turn - 1) * 3;
    const std::string text(64, 'x');
    RoundTrip trip{
        {echoFrame(seq + 1, turn, "user", text), echoFrame(seq + 2, turn, "message", text),
         echoFrame(seq + 3, turn, "complete", "Response complete")},
        turnRecord(turn, TurnStatus::Running, 1000 + turn, text),
        turnRecord(turn, TurnStatus::Complete, 1000 + turn, text)};
    trip.running.seqReserved = trip.complete.seqReserved = seq + 2000;
    trip.complete.assistant = text;
    return trip;
}

// By reference, as a live conversation calls the store.
Ticket storeRoundTrip(ConversationStore& store, const ConversationRef& id, RoundTrip& trip) {
    store.saveTurnWithFrame(id, std::move(trip.running), std::move(trip.frames[0]));
    store.appendFrame(id, std::move(trip.frames[1]));
    return store.saveTurnWithFrame(id, std::move(trip.complete), std::move(trip.frames[2]));
}

// Commits `batches` batches of `perConversation` round trips on each of `conversations`
// conversations (flush() ends each batch) and returns the CPU seconds {callers, writer} spent.
struct BatchCost {
    double caller = 0;  // CPU seconds in the store calls
    double writer = 0;  // CPU seconds of the writer thread
    SqliteStore::WriterStats stats;
};

BatchCost runBatches(int conversations, int perConversation, int batches) {
    TempDir dir;
    auto store = openTestStore(dir);
    std::vector<ConversationRef> ids;
    for (int c = 0; c < conversations; ++c) {
        // 24 characters, as the host's ids: longer than the short-string buffer.
        const std::string number = std::to_string(c);
        ids.push_back(std::make_shared<const std::string>(
            "conversation-" + std::string(11 - number.size(), '0') + number));
        store->createConversation(newConversation(*ids.back()));
    }
    store->flush();
    const int rounds = perConversation * batches;
    std::vector<std::vector<RoundTrip>> trips(static_cast<std::size_t>(rounds));
    for (int round = 1; round <= rounds; ++round)
        for (int c = 0; c < conversations; ++c) trips[round - 1].push_back(makeRoundTrip(round));

    double caller = 0;
    const double writer0 = writerCpuSeconds();
    Ticket last = 0;
    for (int round = 1; round <= rounds; ++round) {
        const double caller0 = cpuSeconds(CLOCK_THREAD_CPUTIME_ID);
        for (int c = 0; c < conversations; ++c)
            last = storeRoundTrip(*store, ids[c], trips[round - 1][c]);
        caller += cpuSeconds(CLOCK_THREAD_CPUTIME_ID) - caller0;
        if (round % perConversation == 0) store->flush();
    }
    const double writer = writerCpuSeconds() - writer0;
    EXPECT_GE(store->committedTicket(), last);
    EXPECT_TRUE(store->health().ok);
    return {caller, writer, store->writerStats()};
}

// Prints the CPU per round trip, the best of three runs (the machine is shared), and what the
// writer wrote for it.
void measure(int conversations, int perConversation, int batches) {
    double caller = 1e9, writer = 1e9;
    SqliteStore::WriterStats stats;
    for (int run = 0; run < 3; ++run) {
        const BatchCost cost = runBatches(conversations, perConversation, batches);
        caller = std::min(caller, cost.caller);
        writer = std::min(writer, cost.writer);
        stats = cost.stats;
    }
    const double roundTrips = static_cast<double>(conversations) * perConversation * batches;
    std::cout << "store cost, " << conversations << " conversations, " << perConversation
              << " round trips each per batch: caller " << caller / roundTrips * 1e6
              << " us, writer " << writer / roundTrips * 1e6 << " us per round trip; "
              << static_cast<double>(stats.pagesWritten) / static_cast<double>(stats.batches)
              << " pages per batch, " << static_cast<double>(stats.pagesWritten) / roundTrips
              << " per round trip\n";
}

// The writer's planning alone (planWrites) for one batch at the echo benchmark's load: 100
// conversations, 13 round trips each. Printed as CPU per round trip, the best of three runs.
TEST(StoreCost, PlanningCpuPerEchoRoundTrip) {
    constexpr int kConversations = 100, kPerConversation = 13, kBatches = 40;
    std::vector<QueuedWrite> writes;
    Ticket ticket = 0;
    for (int round = 1; round <= kPerConversation; ++round) {
        for (int c = 0; c < kConversations; ++c) {
            const auto id = std::make_shared<const std::string>("conversation-" +
                                                                std::to_string(1'000'000'000 + c));
            RoundTrip trip = makeRoundTrip(round);
            writes.push_back(QueuedWrite{
                ++ticket, id, TurnWithFrame{std::move(trip.running), std::move(trip.frames[0])}});
            writes.push_back(QueuedWrite{++ticket, id, std::move(trip.frames[1])});
            writes.push_back(QueuedWrite{
                ++ticket, id, TurnWithFrame{std::move(trip.complete), std::move(trip.frames[2])}});
        }
    }
    double best = 1e9;
    for (int run = 0; run < 3; ++run) {
        const double start = cpuSeconds(CLOCK_THREAD_CPUTIME_ID);
        std::size_t rows = 0;
        for (int batch = 0; batch < kBatches; ++batch) rows += planWrites(writes).segments.size();
        best = std::min(best, cpuSeconds(CLOCK_THREAD_CPUTIME_ID) - start);
        EXPECT_EQ(rows, std::size_t{kConversations} * kBatches);
    }
    std::cout << "store planning, " << kConversations << " conversations, " << kPerConversation
              << " round trips each per batch: planning "
              << best / (kConversations * kPerConversation * kBatches) * 1e6
              << " us per round trip\n";
}

// The echo benchmark's load (100 connections, about 22,700 round trips/s): a batch (the 40 ms
// window and the commit) holds about 13 round trips of each conversation.
TEST(StoreCost, WriterCpuPerEchoRoundTripUnderLoad) {
    measure(100, 13, 40);
}

// Sparse traffic: one round trip per conversation and batch, so only its own frames coalesce.
TEST(StoreCost, WriterCpuPerEchoRoundTripSparse) {
    measure(100, 1, 100);
}

}  // namespace
}  // namespace agenthost::store::test
