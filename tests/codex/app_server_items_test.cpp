// The items of `codex app-server` (shapes from the real CLI 0.171.0, as its item/started and
// item/completed notifications carry them) are shown exactly like their exec-mode counterparts.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <string>

#include "AppServerItems.h"
#include "CodexItems.h"
#include "JsonFields.h"

namespace codex_bridgehub {
namespace {

using Poco::JSON::Object;

Object::Ptr parse(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Object::Ptr>();
}

CodexEvent shown(ItemPhase phase, const std::string& appServerItem) {
    return itemEvent(phase, execItemOf(parse(appServerItem)));
}

TEST(AppServerItems, ACommandIsShownLikeInExecMode) {
    const CodexEvent started = shown(
        ItemPhase::Started,
        R"({"type":"commandExecution","id":"call_1","command":"/bin/bash -lc 'ls -a'","cwd":"/p","status":"inProgress","aggregatedOutput":null,"exitCode":null})");
    EXPECT_EQ(started.event.kind, "status");
    EXPECT_EQ(started.event.content, "Running: /bin/bash -lc 'ls -a'");
    const CodexEvent done = shown(
        ItemPhase::Completed,
        R"({"type":"commandExecution","id":"call_1","command":"/bin/bash -lc 'ls -a'","status":"completed","aggregatedOutput":".\n..\n","exitCode":0})");
    EXPECT_EQ(done.event.kind, "command");
    EXPECT_EQ(done.event.protocol1Text, "[ran: /bin/bash -lc 'ls -a' (exit 0)]");
    const auto data = parse(done.event.data);
    EXPECT_EQ(json::stringField(data, "item_id"), "call_1");
    EXPECT_EQ(json::stringField(data, "output"), ".\n..\n");
    EXPECT_EQ(json::stringField(data, "status"), "completed");
}

TEST(AppServerItems, ADeclinedCommandHasNoExitCode) {
    const CodexEvent done = shown(
        ItemPhase::Completed,
        R"({"type":"commandExecution","id":"call_1","command":"rm x","status":"declined","aggregatedOutput":null,"exitCode":null})");
    EXPECT_EQ(done.event.protocol1Text, "[ran: rm x (declined)]");
}

TEST(AppServerItems, FileChangeKindsAreWords) {
    const CodexEvent done = shown(
        ItemPhase::Completed,
        R"({"type":"fileChange","id":"call_2","status":"completed","changes":[{"path":"/p/a.txt","kind":{"type":"add"},"diff":"+a"},{"path":"/p/b.txt","kind":{"type":"update","move_path":null},"diff":""}]})");
    EXPECT_EQ(done.event.kind, "file_change");
    EXPECT_EQ(done.event.content, "Changed /p/a.txt (add), /p/b.txt (update)");
}

TEST(AppServerItems, ReasoningSummariesAreParagraphsOfThinking) {
    const CodexEvent done = shown(
        ItemPhase::Completed,
        R"({"type":"reasoning","id":"rs_1","summary":["**Pondering**","I should answer."],"content":[]})");
    EXPECT_EQ(done.kind, CodexEvent::Kind::Thinking);
    EXPECT_EQ(done.text, "**Pondering**\n\nI should answer.");
}

TEST(AppServerItems, ItemsWithoutAnExecCounterpartAreNotShown) {
    EXPECT_EQ(execItemOf(parse(R"({"type":"userMessage","id":"u","content":[]})")), nullptr);
    EXPECT_EQ(execItemOf(parse(R"({"type":"somethingNew","id":"x"})")), nullptr);
    EXPECT_EQ(execItemOf(nullptr), nullptr);
}

}  // namespace
}  // namespace codex_bridgehub
