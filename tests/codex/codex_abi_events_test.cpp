// codex_bridgehub.so through its C ABI alone (a recording host), running a fake `codex` that
// prints what the real CLI printed (tests/codex/data): what goes out as events, and what stays
// answer text for requests no protocol 2 client sees.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/BuildPaths.h"
#include "support/RecordingHost.h"
#include "support/TempDir.h"

namespace agenthost::test {
namespace {

// What protocol 2 clients are shown of tests/codex/data/codex-exec-0.171.0.jsonl, a run of the
// real CLI (record_codex_exec.py).
const std::vector<std::string> kEvents = {
    "status: Codex: Model metadata for `gpt-5` not found. Defaulting to fallback metadata; this "
    "can degrade performance and cause issues.",
    "thinking: **Looking around**\n\nI will list the files.",
    "status: Running: /bin/bash -lc 'ls -a'",
    "command: /bin/bash -lc 'ls -a'",
    "file_change: Changed /home/me/project/hello.txt (add)",
    "status: Running: /bin/bash -lc 'exit 3'",
    "command: /bin/bash -lc 'exit 3'"};
const std::string kAnswer = "Added hello.txt.";
// What protocol 1 clients were always shown: the commands as lines of the answer.
const std::string kProtocol1Answer =
    "[ran: /bin/bash -lc 'ls -a' (exit 0)]\n\n[ran: /bin/bash -lc 'exit 3' (exit 3)]\n\n"
    "Added hello.txt.";

class CodexAbiEvents : public ::testing::Test {
  protected:
    void SetUp() override { useCodex(""); }
    void TearDown() override {
        if (instance_) host_.api().instance_destroy(instance_);
    }

    // A new instance whose codex prints the recorded run, then runs `tail` (shell lines).
    void useCodex(const std::string& tail) {
        if (instance_) host_.api().instance_destroy(instance_);
        const std::string recorded =
            sourceDirectory() + "/tests/codex/data/codex-exec-0.171.0.jsonl";
        const std::string command = dir_.write(
            "codex", "#!/bin/sh\ncat > /dev/null\ncat '" + recorded + "'\n" + tail, true);
        instance_ = host_.newInstance({{"command", command}, {"mode", "exec"}});
        ASSERT_NE(instance_, nullptr);
    }

    // Runs one request to its end and releases it.
    void run(Recorded& record, std::uint32_t flags) {
        ASSERT_EQ(host_.start(instance_, record, "update the readme", 1, flags),
                  AGENTHOST_START_ACCEPTED);
        ASSERT_TRUE(
            RecordingHost::waitFor([&] { return record.finishes == 1; }, std::chrono::seconds(10)));
        host_.api().request_release(instance_, record.context);
        EXPECT_EQ(record.sessionState, "01a21cc3-c514-7f63-b6d2-671135406a89");
    }

    TempDir dir_;
    RecordingHost host_{pluginBuildDirectory() + "/codex_bridgehub.so"};
    agenthost_instance_plugin_ptr instance_ = nullptr;
};

TEST_F(CodexAbiEvents, AProtocolTwoClientGetsEventsAndTheAnswerAlone) {
    Recorded record;
    run(record, AGENTHOST_REQUEST_CAN_ASK_APPROVAL);
    EXPECT_EQ(record.code, "") << record.message;
    EXPECT_EQ(record.events, kEvents);
    EXPECT_EQ(record.text, kAnswer);
}

// The events are still stored with the conversation; the text is what protocol 1 always showed.
TEST_F(CodexAbiEvents, WithoutAProtocolTwoClientCommandsStayInTheText) {
    Recorded record;
    run(record, 0);
    EXPECT_EQ(record.code, "") << record.message;
    EXPECT_EQ(record.events, kEvents);
    EXPECT_EQ(record.text, kProtocol1Answer);
}

TEST_F(CodexAbiEvents, AHostThatTakesNoEventsGetsTheCommandsAsText) {
    Recorded record;
    record.emitAnswer = AGENTHOST_EMIT_UNSUPPORTED;
    run(record, AGENTHOST_REQUEST_CAN_ASK_APPROVAL);
    EXPECT_EQ(record.text, kProtocol1Answer);
}

// The host answers an emit with cancelled, client gone or stopping: nobody wants the rest, so
// the child is stopped at once instead of running to its end.
TEST_F(CodexAbiEvents, AnEmitAnsweredCancelledStopsTheChild) {
    for (const std::uint32_t answer :
         {AGENTHOST_EMIT_CANCELLED, AGENTHOST_EMIT_CLIENT_GONE, AGENTHOST_EMIT_STOPPING}) {
        useCodex("sleep 30\n");
        Recorded record;
        record.emitAnswer = answer;
        const auto began = std::chrono::steady_clock::now();
        run(record, AGENTHOST_REQUEST_CAN_ASK_APPROVAL);
        EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(10)) << answer;
        ASSERT_FALSE(record.events.empty()) << answer;
        EXPECT_EQ(record.events.front(), kEvents.front()) << answer;
        EXPECT_EQ(record.code, answer == AGENTHOST_EMIT_STOPPING ? "plugin_unavailable" : "")
            << answer;
    }
}

}  // namespace
}  // namespace agenthost::test
