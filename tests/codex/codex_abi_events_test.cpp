// codex_bridgehub.so through its C ABI alone (a recording host), running a fake `codex` that
// prints real `codex exec --json` lines: what goes out as events, and what stays answer text for
// requests no protocol 2 client sees.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/BuildPaths.h"
#include "support/RecordingHost.h"
#include "support/TempDir.h"

namespace agenthost::test {
namespace {

// One line per event, as Codex prints them.
const char* const kCodexLines[] = {
    R"({"type":"thread.started","thread_id":"0199a213-81c0-7800-8aa1-bbab2a035a53"})",
    R"({"type":"turn.started"})",
    R"({"type":"item.completed","item":{"id":"item_0","type":"reasoning","text":"**Listing files**"}})",
    R"({"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls","aggregated_output":"","exit_code":null,"status":"in_progress"}})",
    R"({"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls","aggregated_output":"README.md","exit_code":0,"status":"completed"}})",
    R"({"type":"item.completed","item":{"id":"item_2","type":"reasoning","text":"**Editing**"}})",
    R"({"type":"item.completed","item":{"id":"item_3","type":"file_change","changes":[{"path":"README.md","kind":"update"}],"status":"completed"}})",
    R"({"type":"item.completed","item":{"id":"item_4","type":"agent_message","text":"Updated the README."}})",
    R"({"type":"turn.completed","usage":{"input_tokens":120,"cached_input_tokens":0,"output_tokens":30}})",
};

const std::vector<std::string> kEvents = {
    "thinking: **Listing files**", "status: Running: bash -lc ls", "command: bash -lc ls",
    "thinking: \n\n**Editing**", "file_change: Changed README.md (update)"};

class CodexAbiEvents : public ::testing::Test {
  protected:
    void SetUp() override { useCodex(""); }
    void TearDown() override {
        if (instance_) host_.api().instance_destroy(instance_);
    }

    // A new instance whose codex prints kCodexLines, then runs `tail` (shell lines).
    void useCodex(const std::string& tail) {
        if (instance_) host_.api().instance_destroy(instance_);
        std::string script = "#!/bin/sh\ncat > /dev/null\n";
        for (const char* line : kCodexLines)
            script += "printf '%s\\n' '" + std::string(line) + "'\n";
        const std::string command = dir_.write("codex", script + tail, true);
        instance_ = host_.newInstance({{"command", command}});
        ASSERT_NE(instance_, nullptr);
    }

    // Runs one request to its end and releases it.
    void run(Recorded& record, std::uint32_t flags) {
        ASSERT_EQ(host_.start(instance_, record, "update the readme", 1, flags),
                  AGENTHOST_START_ACCEPTED);
        ASSERT_TRUE(
            RecordingHost::waitFor([&] { return record.finishes == 1; }, std::chrono::seconds(10)));
        host_.api().request_release(instance_, record.context);
        EXPECT_EQ(record.sessionState, "0199a213-81c0-7800-8aa1-bbab2a035a53");
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
    EXPECT_EQ(record.text, "Updated the README.");
}

// The events are still stored with the conversation; the text is what protocol 1 always showed.
TEST_F(CodexAbiEvents, WithoutAProtocolTwoClientCommandsStayInTheText) {
    Recorded record;
    run(record, 0);
    EXPECT_EQ(record.code, "") << record.message;
    EXPECT_EQ(record.events, kEvents);
    EXPECT_EQ(record.text, "[ran: bash -lc ls (exit 0)]\n\nUpdated the README.");
}

TEST_F(CodexAbiEvents, AHostThatTakesNoEventsGetsTheCommandsAsText) {
    Recorded record;
    record.emitAnswer = AGENTHOST_EMIT_UNSUPPORTED;
    run(record, AGENTHOST_REQUEST_CAN_ASK_APPROVAL);
    EXPECT_EQ(record.text, "[ran: bash -lc ls (exit 0)]\n\nUpdated the README.");
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
        EXPECT_EQ(record.events.front(), "thinking: **Listing files**") << answer;
        EXPECT_EQ(record.code, answer == AGENTHOST_EMIT_STOPPING ? "plugin_unavailable" : "")
            << answer;
    }
}

}  // namespace
}  // namespace agenthost::test
