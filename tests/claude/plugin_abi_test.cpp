// claude.so through its C ABI alone, with a recording host: finish exactly once per request,
// whatever races with it, and instance_destroy ends every transfer before it returns.
#include <gtest/gtest.h>
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "MockAnthropic.h"
#include "support/BuildPaths.h"
#include "support/RecordingHost.h"
#include "support/Wait.h"

namespace agenthost::test {
namespace {

class ClaudeAbi : public ::testing::Test {
  protected:
    std::map<std::string, std::string> settingsFor(const MockAnthropic& mock) {
        return {{"api_key", "k"}, {"base_url", mock.baseUrl()}, {"max_retries", "0"}};
    }
    void start(agenthost_instance_plugin_ptr instance, Recorded& record, std::uint64_t id) {
        ASSERT_EQ(host.start(instance, record, "hi", id), AGENTHOST_START_ACCEPTED);
    }
    // What a host does once a request is finished and no call into the plugin runs for it.
    void release(agenthost_instance_plugin_ptr instance, std::vector<Recorded>& records) {
        for (auto& r : records) host.api().request_release(instance, r.context);
    }
    agenthost_instance_plugin_ptr newInstance(const std::map<std::string, std::string>& settings,
                                              std::string* error = nullptr) {
        return host.newInstance(settings, error);
    }
    bool waitFor(const std::function<bool()>& condition) {
        return RecordingHost::waitFor(condition);
    }
    // Starts `records` as requests with ids from `nextId` on, waits until each has finished
    // with success, and releases them.
    void answerTogether(agenthost_instance_plugin_ptr instance, std::vector<Recorded>& records,
                        std::uint64_t& nextId) {
        for (auto& record : records) start(instance, record, nextId++);
        ASSERT_TRUE(waitFor([&] {
            return std::all_of(records.begin(), records.end(),
                               [](const Recorded& r) { return r.finishes == 1; });
        }));
        for (const auto& r : records) ASSERT_EQ(r.code, "") << r.message;
        release(instance, records);
    }
    // One request on a new instance, from start to instance_destroy; `record` may say what the
    // host answers the plugin's emits with.
    Recorded answerOne(const std::map<std::string, std::string>& settings, Recorded record = {}) {
        auto instance = newInstance(settings);
        EXPECT_NE(instance, nullptr);
        if (instance == nullptr) return record;
        std::vector<Recorded> records{record};  // its address is the request handle
        start(instance, records[0], 1);
        EXPECT_TRUE(waitFor([&] { return records[0].finishes == 1; }));
        release(instance, records);
        api_->instance_destroy(instance);
        return records[0];
    }

    RecordingHost host{pluginBuildDirectory() + "/claude.so"};
    const agenthost_plugin_api* api_ = &host.api();
};

TEST_F(ClaudeAbi, RefusesInvalidSettingsWithAReason) {
    std::string error;
    EXPECT_EQ(newInstance({{"max_tokens", "0"}}, &error), nullptr);
    EXPECT_NE(error.find("max_tokens"), std::string::npos) << error;
}

// The recording host leaves set_turn_data and report_cache_usage null, as a host could that
// has no use for them: the plugin answers all the same.
TEST_F(ClaudeAbi, AnswersAHostThatKeepsNoTurnData) {
    MockAnthropic mock;
    mock.setDefault([](Exchange& exchange) {
        exchange.write(
            messageStartWithUsage(
                R"({"input_tokens":3,"cache_creation_input_tokens":9,"cache_read_input_tokens":0})") +
            blockEvents(0, R"({"type":"thinking","thinking":"","signature":""})",
                        {R"({"type":"thinking_delta","thinking":"hmm"})",
                         R"({"type":"signature_delta","signature":"sig"})"}) +
            textBlock(1, "ok") + stopEvents("end_turn"));
    });
    auto settings = settingsFor(mock);
    settings["thinking_budget_tokens"] = "2048";
    settings["max_tokens"] = "8000";
    const Recorded record = answerOne(settings);
    EXPECT_EQ(record.finishes, 1);
    EXPECT_EQ(record.code, "") << record.message;
    EXPECT_EQ(record.text, "ok");
    EXPECT_EQ(record.stopReason, "end_turn");
}

// Streams "part", then pings until the plugin drops the connection.
Behaviour partUntilClientGone(MockAnthropic& mock) {
    return [&mock](Exchange& exchange) {
        exchange.write(messageStartEvent(1) + textDeltaEvent("part"));
        if (exchange.waitUntilClientGone(10s)) mock.noteClientGone();
    };
}

TEST_F(ClaudeAbi, DestroyEndsEveryStreamAndFinishesEachRequestOnce) {
    MockAnthropic mock;
    mock.setDefault(partUntilClientGone(mock));
    auto instance = newInstance(settingsFor(mock));
    ASSERT_NE(instance, nullptr);
    std::vector<Recorded> records(5);
    for (std::size_t i = 0; i < records.size(); ++i) start(instance, records[i], i + 1);
    ASSERT_TRUE(waitFor([&] {
        for (const auto& r : records)
            if (r.text.empty()) return false;
        return true;
    }));
    const auto began = std::chrono::steady_clock::now();
    api_->instance_destroy(instance);
    EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
    std::lock_guard<std::mutex> lock(RecordingHost::mutex());
    for (const auto& r : records) {
        EXPECT_EQ(r.finishes, 1);
        EXPECT_FALSE(r.code.empty());  // not a success: the answer was cut off
        EXPECT_FALSE(r.sentAfterFinish);
    }
    // Every upstream connection was closed (the mock notices within its 20 ms ping period).
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (mock.clientsGone() < records.size() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    EXPECT_EQ(mock.clientsGone(), records.size());
}

// Bytes the process's heap has handed out and not had back (every arena): the plugin is loaded
// into this process, so what it keeps shows here.
std::size_t heapInUse() {
    return ::mallinfo2().uordblks;
}

// Requests started together, answered once all have arrived: the mock then holds as many
// connections open at once, and each transfer ends with the answer's last event (a sized body).
// The n-th to arrive waits n * `stagger` more, so that the transfers end one at a time.
void answerWhenAllHaveArrived(MockAnthropic& mock, std::size_t count,
                              std::chrono::milliseconds stagger = 0ms) {
    auto arrivals = std::make_shared<std::atomic<std::size_t>>(0);
    mock.setDefault(
        [&mock, count, stagger, arrivals, answer = streamPiecesSized({"Hello", "!"})](Exchange& e) {
            const std::size_t place = arrivals->fetch_add(1) % count;
            mock.waitForRequests(count);
            std::this_thread::sleep_for(stagger * place);
            answer(e);
        });
}

std::set<std::uint16_t> clientPorts(const MockAnthropic& mock) {
    std::set<std::uint16_t> ports;
    for (const auto& request : mock.requests()) ports.insert(request.clientPort);
    return ports;
}

// A burst of answers keeps its connections for the next (keepalive_connections, 32 by default).
// With libcurl's own cache size, four per transfer still attached, they closed as the burst
// ended one transfer after another, and requests of the next burst connected anew.
TEST_F(ClaudeAbi, ABurstsConnectionsServeTheNextBurst) {
    constexpr std::size_t kBurst = 24;
    MockAnthropic mock;
    answerWhenAllHaveArrived(mock, kBurst, 5ms);
    auto instance = newInstance(settingsFor(mock));
    ASSERT_NE(instance, nullptr);
    std::uint64_t nextId = 1;
    auto portsOfABurst = [&] {
        std::vector<Recorded> records(kBurst);
        answerTogether(instance, records, nextId);
        const auto ports = clientPorts(mock);
        mock.forgetRequests();
        return ports;
    };
    const auto first = portsOfABurst();
    EXPECT_EQ(first.size(), kBurst);  // all at once: a connection each
    EXPECT_EQ(portsOfABurst(), first);
    api_->instance_destroy(instance);
}

// A finished request leaves nothing behind on the instance's loop: its silence watch (timeout_s,
// 600 s by default) goes with it. A watch left scheduled until due keeps the finished call's
// memory (about 1.6 kB) that long: a host answering 60 requests a second grows by 58 MB.
TEST_F(ClaudeAbi, FinishedRequestsLeaveNoMemoryBehind) {
    constexpr std::size_t kBatch = 100;
    MockAnthropic mock;
    answerWhenAllHaveArrived(mock, kBatch);
    // The same kBatch connections serve every batch: connections made and dropped would move
    // the heap of the mock's server too.
    auto settings = settingsFor(mock);
    settings["keepalive_connections"] = std::to_string(kBatch);
    auto instance = newInstance(settings);
    ASSERT_NE(instance, nullptr);
    std::uint64_t nextId = 1;
    auto answerBatch = [&] {
        std::vector<Recorded> records(kBatch);
        answerTogether(instance, records, nextId);
    };
    // 2,000 requests, twice: the first round may still grow caches (connections, threads, the
    // allocator's); the second has nothing left to grow but what requests leave behind.
    auto round = [&] {
        for (int batch = 0; batch < 20; ++batch) answerBatch();
        ASSERT_TRUE(mock.waitUntilAnswered());
        mock.forgetRequests();
    };
    round();
    const std::size_t warm = heapInUse();
    round();
    // A request is finished at its last event, and its transfer ends on the loop just after:
    // what the transfer holds (about 20 kB) may still be there for a moment on a busy machine.
    // What a finished request leaves behind stays (timeout_s).
    const std::size_t kBound = warm + 1024 * 1024;  // watches left behind: 3.4 MB; noise: 0.1 MB
    std::size_t after = heapInUse();
    waitUntil([&] { return (after = heapInUse()) < kBound; }, 2s);
    EXPECT_LT(after, kBound) << "2,000 finished requests still hold "
                             << (static_cast<long>(after) - static_cast<long>(warm)) / 1024
                             << " kB";
    api_->instance_destroy(instance);
}

TEST_F(ClaudeAbi, CancelRacingWithTheAnswerFinishesExactlyOnce) {
    MockAnthropic mock;
    mock.setDefault(streamPieces({"a", "b", "c"}));
    auto instance = newInstance(settingsFor(mock));
    ASSERT_NE(instance, nullptr);
    std::vector<Recorded> records(60);
    for (std::size_t i = 0; i < records.size(); ++i) {
        start(instance, records[i], i + 1);
        // Cancel some at once, some a little later, some never.
        if (i % 3 == 1) std::this_thread::sleep_for(std::chrono::milliseconds(i % 7));
        if (i % 3 != 2) api_->request_cancel(instance, records[i].context, AGENTHOST_CANCEL_CLIENT);
    }
    EXPECT_TRUE(waitFor([&] {
        for (const auto& r : records)
            if (r.finishes == 0) return false;
        return true;
    }));
    release(instance, records);
    api_->instance_destroy(instance);
    std::lock_guard<std::mutex> lock(RecordingHost::mutex());
    for (std::size_t i = 0; i < records.size(); ++i) {
        EXPECT_EQ(records[i].finishes, 1) << i;
        EXPECT_FALSE(records[i].sentAfterFinish) << i;
        if (i % 3 == 2) {
            EXPECT_EQ(records[i].code, "") << i;
            EXPECT_EQ(records[i].text, "abc") << i;
        }
    }
}

std::string readThinkingStream() {
    std::ifstream in(sourceDirectory() + "/tests/claude/data/anthropic-stream-thinking.txt",
                     std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST_F(ClaudeAbi, ThinkingComesAsThinkingEventsBeforeTheText) {
    MockAnthropic mock;
    mock.setDefault(
        [bytes = readThinkingStream()](Exchange& exchange) { exchange.writeSplit(bytes, 9, 0ms); });
    auto settings = settingsFor(mock);
    settings["thinking_budget_tokens"] = "2048";
    settings["max_tokens"] = "8000";
    const Recorded r = answerOne(settings);
    EXPECT_EQ(r.code, "") << r.message;
    EXPECT_EQ(r.text, "The greatest common divisor of 1071 and 462 is **21**.");
    EXPECT_EQ(r.events, (std::vector<std::string>{
                            "thinking: I need the GCD of 1071 and 462, by Euclid's algorithm.\n\n"
                            "1071 = 2 \xC3\x97 462 + 147",
                            "thinking: \n462 = 3 \xC3\x97 147 + 21\n147 = 7 \xC3\x97 21 + 0 "
                            "\xE2\x80\x94 so it is 21."}));
    EXPECT_EQ(r.textAtEvents, (std::vector<std::size_t>{0, 0}));  // before any text
    EXPECT_EQ(r.stopReason, "end_turn");
    auto thinking = mock.requests().at(0).json()->getObject("thinking");
    ASSERT_TRUE(thinking);
    EXPECT_EQ(thinking->getValue<int>("budget_tokens"), 2048);
}

TEST_F(ClaudeAbi, RedactedThinkingIsOneStatus) {
    MockAnthropic mock;
    const std::string redacted =
        sseEvent(
            "content_block_start",
            R"({"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3p"}})") +
        sseEvent("content_block_stop", R"({"type":"content_block_stop","index":0})");
    mock.setDefault([redacted](Exchange& exchange) {
        exchange.write(messageStartEvent(3) + redacted + redacted + textDeltaEvent("ok") +
                       messageEndEvents(2));
    });
    const Recorded r = answerOne(settingsFor(mock));
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_EQ(r.events[0],
              "status: Part of the model's reasoning was encrypted by the API's safety systems "
              "and is not shown.");
    EXPECT_EQ(r.text, "ok");
}

// The host answers an emit with "cancelled" (or "client gone", "stopping"): the plugin stops
// reading, closes the connection so the API stops generating, and finishes once.
TEST_F(ClaudeAbi, AnEmitAnsweredCancelledClosesTheUpstreamConnection) {
    for (const std::uint32_t answer :
         {AGENTHOST_EMIT_CANCELLED, AGENTHOST_EMIT_CLIENT_GONE, AGENTHOST_EMIT_STOPPING}) {
        MockAnthropic mock;
        mock.setDefault(partUntilClientGone(mock));
        Recorded told;
        told.emitAnswer = answer;
        const Recorded r = answerOne(settingsFor(mock), told);
        EXPECT_TRUE(mock.waitForClientGone(3s)) << answer;
        EXPECT_EQ(r.text, "part");
        EXPECT_EQ(r.code, answer == AGENTHOST_EMIT_STOPPING ? "plugin_unavailable" : "cancelled");
    }
}

}  // namespace
}  // namespace agenthost::test
