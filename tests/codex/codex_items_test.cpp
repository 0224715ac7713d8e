// The thread items of `codex exec --json` as thinking, answer text and agent events. The lines
// have the shapes Codex prints (codex-rs/exec/src/exec_events.rs: the item's id, then its type
// and fields).
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "CodexJsonEvents.h"

namespace codex_bridgehub {
namespace {

using Kind = CodexEvent::Kind;
using Poco::JSON::Object;

Object::Ptr dataOf(const CodexEvent& e) {
    Poco::JSON::Parser parser;
    return parser.parse(e.event.data).extract<Object::Ptr>();
}

TEST(CodexItems, ReasoningIsThinking) {
    auto e = parseCodexEvent(
        R"({"type":"item.completed","item":{"id":"item_0","type":"reasoning","text":"**Listing files**\n\nI will run ls."}})");
    EXPECT_EQ(e.kind, Kind::Thinking);
    EXPECT_EQ(e.text, "**Listing files**\n\nI will run ls.");
}

TEST(CodexItems, CommandStartIsAStatusAndItsEndACommandEvent) {
    auto started = parseCodexEvent(
        R"({"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls","aggregated_output":"","exit_code":null,"status":"in_progress"}})");
    ASSERT_EQ(started.kind, Kind::Event);
    EXPECT_EQ(started.event.kind, "status");
    EXPECT_EQ(started.event.content, "Running: bash -lc ls");
    EXPECT_EQ(dataOf(started)->getValue<std::string>("command"), "bash -lc ls");
    EXPECT_EQ(started.event.protocol1Text, "");

    auto done = parseCodexEvent(
        R"({"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"bash -lc 'ls\n-la'","aggregated_output":"a\nb\n","exit_code":2,"status":"failed"}})");
    ASSERT_EQ(done.kind, Kind::Event);
    EXPECT_EQ(done.event.kind, "command");
    EXPECT_EQ(done.event.content, "bash -lc 'ls -la'");
    auto data = dataOf(done);
    EXPECT_EQ(data->getValue<std::string>("item_id"), "item_1");
    EXPECT_EQ(data->getValue<std::string>("command"), "bash -lc 'ls\n-la'");
    EXPECT_EQ(data->getValue<int>("exit_code"), 2);
    EXPECT_EQ(data->getValue<std::string>("status"), "failed");
    EXPECT_EQ(data->getValue<std::string>("output"), "a\nb\n");
    EXPECT_FALSE(data->getValue<bool>("output_truncated"));
    // What protocol 1 clients have always been shown for it.
    EXPECT_EQ(done.event.protocol1Text, "[ran: bash -lc 'ls -la' (exit 2)]");
}

TEST(CodexItems, DeclinedCommandHasNoExitCode) {
    auto e = parseCodexEvent(
        R"({"type":"item.completed","item":{"id":"item_2","type":"command_execution","command":"rm -rf build","aggregated_output":"","exit_code":null,"status":"declined"}})");
    ASSERT_EQ(e.kind, Kind::Event);
    EXPECT_TRUE(dataOf(e)->isNull("exit_code"));
    EXPECT_EQ(e.event.protocol1Text, "[ran: rm -rf build (declined)]");
}

TEST(CodexItems, LongCommandsAndOutputsAreCapped) {
    const std::string command(300, 'c');
    std::string output = "\xC3\xA9";  // a two-byte character across the cut
    output += std::string(5000, 'o') + "the end";
    Object item;
    item.set("id", "item_3");
    item.set("type", "command_execution");
    item.set("command", command);
    item.set("aggregated_output", output);
    item.set("exit_code", 0);
    item.set("status", "completed");
    Object line;
    line.set("type", "item.completed");
    line.set("item", item);
    std::ostringstream text;
    line.stringify(text);

    auto e = parseCodexEvent(text.str());
    ASSERT_EQ(e.kind, Kind::Event);
    EXPECT_EQ(e.event.content, std::string(200, 'c') + "...");
    auto data = dataOf(e);
    EXPECT_EQ(data->getValue<std::string>("command"), command);
    const std::string kept = data->getValue<std::string>("output");
    EXPECT_EQ(kept.size(), 4096u);
    EXPECT_EQ(kept.substr(kept.size() - 7), "the end");
    EXPECT_TRUE(data->getValue<bool>("output_truncated"));
}

TEST(CodexItems, FileChangeListsPathsAndKinds) {
    auto e = parseCodexEvent(
        R"({"type":"item.completed","item":{"id":"item_4","type":"file_change","changes":[{"path":"/work/src/hello.txt","kind":"add"},{"path":"/work/README.md","kind":"update"}],"status":"completed"}})");
    ASSERT_EQ(e.kind, Kind::Event);
    EXPECT_EQ(e.event.kind, "file_change");
    EXPECT_EQ(e.event.content, "Changed /work/src/hello.txt (add), /work/README.md (update)");
    EXPECT_EQ(e.event.protocol1Text, "");
    auto changes = dataOf(e)->getArray("changes");
    ASSERT_EQ(changes->size(), 2u);
    EXPECT_EQ(changes->getObject(0)->getValue<std::string>("path"), "/work/src/hello.txt");
    EXPECT_EQ(changes->getObject(0)->getValue<std::string>("kind"), "add");
    EXPECT_EQ(changes->getObject(1)->getValue<std::string>("kind"), "update");
    EXPECT_EQ(dataOf(e)->getValue<std::string>("status"), "completed");

    auto failed = parseCodexEvent(
        R"({"type":"item.completed","item":{"id":"item_5","type":"file_change","changes":[{"path":"a.c","kind":"delete"}],"status":"failed"}})");
    EXPECT_EQ(failed.event.content, "Failed to change a.c (delete)");
}

TEST(CodexItems, McpToolCallIsAToolCallThenAToolResult) {
    auto call = parseCodexEvent(
        R"({"type":"item.started","item":{"id":"item_6","type":"mcp_tool_call","server":"docs","tool":"search","arguments":{"query":"poco json"},"result":null,"error":null,"status":"in_progress"}})");
    ASSERT_EQ(call.kind, Kind::Event);
    EXPECT_EQ(call.event.kind, "tool_call");
    EXPECT_EQ(call.event.content, "Calling docs.search");
    EXPECT_EQ(dataOf(call)->getObject("arguments")->getValue<std::string>("query"), "poco json");

    auto result = parseCodexEvent(
        R"({"type":"item.completed","item":{"id":"item_6","type":"mcp_tool_call","server":"docs","tool":"search","arguments":{"query":"poco json"},"result":{"content":[{"type":"text","text":"found 3"}],"structured_content":null},"error":null,"status":"completed"}})");
    ASSERT_EQ(result.kind, Kind::Event);
    EXPECT_EQ(result.event.kind, "tool_result");
    EXPECT_EQ(result.event.content, "docs.search completed");
    auto data = dataOf(result);
    EXPECT_EQ(data->getValue<std::string>("status"), "completed");
    EXPECT_EQ(
        data->getObject("result")->getArray("content")->getObject(0)->getValue<std::string>("text"),
        "found 3");

    auto failed = parseCodexEvent(
        R"({"type":"item.completed","item":{"id":"item_7","type":"mcp_tool_call","server":"docs","tool":"search","arguments":{},"result":null,"error":{"message":"server not running"},"status":"failed"}})");
    EXPECT_EQ(failed.event.content, "docs.search failed: server not running");
    EXPECT_EQ(dataOf(failed)->getValue<std::string>("error"), "server not running");
}

TEST(CodexItems, WebSearchTodoListAndErrorItemsAreStatuses) {
    auto search = parseCodexEvent(
        R"({"type":"item.completed","item":{"id":"item_8","type":"web_search","query":"codex exec json","action":{"type":"search","query":"codex exec json"}}})");
    ASSERT_EQ(search.kind, Kind::Event);
    EXPECT_EQ(search.event.kind, "status");
    EXPECT_EQ(search.event.content, "Searched the web: codex exec json");

    auto plan = parseCodexEvent(
        R"({"type":"item.updated","item":{"id":"item_9","type":"todo_list","items":[{"text":"read the code","completed":true},{"text":"run the tests","completed":false},{"text":"fix","completed":false}]}})");
    ASSERT_EQ(plan.kind, Kind::Event);
    EXPECT_EQ(plan.event.kind, "status");
    EXPECT_EQ(plan.event.content, "Plan: 1 of 3 done; next: run the tests");
    auto items = dataOf(plan)->getArray("items");
    ASSERT_EQ(items->size(), 3u);
    EXPECT_TRUE(items->getObject(0)->getValue<bool>("completed"));
    // The plan as it stands when the turn ends adds nothing.
    EXPECT_EQ(
        parseCodexEvent(
            R"({"type":"item.completed","item":{"id":"item_9","type":"todo_list","items":[]}})")
            .kind,
        Kind::Ignored);

    auto error = parseCodexEvent(
        R"({"type":"item.completed","item":{"id":"item_10","type":"error","message":"command timed out"}})");
    EXPECT_EQ(error.event.kind, "status");
    EXPECT_EQ(error.event.content, "Codex: command timed out");
}

TEST(CodexItems, MessagesAndReasoningInProgressAreNotShownTwice) {
    for (
        const char* line :
        {R"({"type":"item.started","item":{"id":"i","type":"agent_message","text":"x"}})",
         R"({"type":"item.updated","item":{"id":"i","type":"reasoning","text":"x"}})",
         R"({"type":"item.updated","item":{"id":"i","type":"command_execution","command":"ls","aggregated_output":"a","exit_code":null,"status":"in_progress"}})",
         R"({"type":"item.started","item":{"id":"i","type":"web_search","query":"q"}})",
         R"({"type":"item.completed","item":{"id":"i","type":"collab_tool_call","tool":"wait"}})"})
        EXPECT_EQ(parseCodexEvent(line).kind, Kind::Ignored) << line;
}

// What codex-cli 0.171.0 printed against a scripted Responses API (record_codex_exec.py):
// reasoning, a command, a patch, a failing command and the answer, each mapped as documented.
TEST(CodexItems, ARecordedRunOfTheRealCliMapsAsDocumented) {
    std::ifstream in(std::string(CODEX_TEST_DATA) + "/codex-exec-0.171.0.jsonl");
    ASSERT_TRUE(in);
    std::vector<std::string> shown;
    for (std::string line; std::getline(in, line);) {
        const CodexEvent e = parseCodexEvent(line);
        if (e.kind == Kind::Event) shown.push_back(e.event.kind + ": " + e.event.content);
        if (e.kind == Kind::Text) shown.push_back("text: " + e.text);
        if (e.kind == Kind::Thinking) shown.push_back("thinking: " + e.text);
        if (e.kind == Kind::ThreadStarted) shown.push_back("thread: " + e.text);
        if (e.kind == Kind::TurnCompleted)
            shown.push_back("usage: " + std::to_string(e.inputTokens) + "/" +
                            std::to_string(e.outputTokens));
        if (e.kind == Kind::Failed) shown.push_back("failed: " + e.text);
    }
    EXPECT_EQ(shown,
              (std::vector<std::string>{
                  "thread: 01a21cc3-c514-7f63-b6d2-671135406a89",
                  "status: Codex: Model metadata for `gpt-5` not found. Defaulting to fallback "
                  "metadata; this can degrade performance and cause issues.",
                  "thinking: **Looking around**\n\nI will list the files.",
                  "status: Running: /bin/bash -lc 'ls -a'",
                  "command: /bin/bash -lc 'ls -a'",
                  "file_change: Changed /home/me/project/hello.txt (add)",
                  "status: Running: /bin/bash -lc 'exit 3'",
                  "command: /bin/bash -lc 'exit 3'",
                  "text: Added hello.txt.",
                  "usage: 40/20",
              }));
}

}  // namespace
}  // namespace codex_bridgehub
