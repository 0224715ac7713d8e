// [log]: JSON lines a machine can parse, one access line per finished turn and per HTTP
// request with the documented fields, a log file that SIGHUP reopens after logrotate renamed
// it, lines that wait up to flush_ms but never behind a warning or past the exit, and never a key
// or (unless log_content = true) a message's text in the log.
#include <Poco/JSON/Parser.h>
#include <signal.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "Helpers.h"
#include "support/Http.h"

namespace agenthost::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecretText = "the-users-private-words";

HostConfig loggingConfig(const std::string& logLines, const std::string& echoSettings = "") {
    return echoConfig(echoSettings, "\n[log]\n" + logLines);
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    return out;
}

// Every line of `text` parsed as a JSON object; a line that is not one fails the test.
std::vector<Poco::JSON::Object::Ptr> jsonLines(const std::string& text) {
    std::vector<Poco::JSON::Object::Ptr> out;
    for (const auto& line : lines(text)) {
        try {
            out.push_back(parseJson(line));
        } catch (const std::exception&) {
            ADD_FAILURE() << "not a JSON line: " << line;
        }
    }
    return out;
}

// The first line of logger `logger` whose `field` is `value`, or null.
Poco::JSON::Object::Ptr findLine(const std::vector<Poco::JSON::Object::Ptr>& all,
                                 const std::string& logger, const std::string& field,
                                 const std::string& value) {
    for (const auto& line : all)
        if (line->optValue<std::string>("logger", "") == logger && line->has(field) &&
            line->get(field).toString() == value)
            return line;
    return nullptr;
}

TEST(Logging, JsonLinesCarryOneAccessLinePerTurnAndPerHttpRequest) {
    HostProcess host(loggingConfig("format = json\n"));
    WsClient client(host.port(), "/api/echo/ws?protocol=2&key=not-for-the-log");
    const std::string conversationId =
        client.authenticate(kTestKey)->getValue<std::string>("conversation_id");
    client.sendMessage(kSecretText);
    client.readUntil([](const auto& frame) { return typeOf(frame) == "complete"; });
    ASSERT_EQ(host.get("/api/health").status, 200);

    ASSERT_TRUE(host.waitForOutput("\"logger\":\"agenthost.access\""));
    ASSERT_TRUE(host.waitForOutput("\"path\":\"/api/health\""));
    const auto all = jsonLines(host.output());
    for (const auto& line : all) {
        EXPECT_TRUE(isProtocolTimestamp(line->getValue<std::string>("time")));
        EXPECT_FALSE(line->getValue<std::string>("level").empty());
        EXPECT_FALSE(line->getValue<std::string>("message").empty());
    }

    const auto turn = findLine(all, "agenthost.access", "conversation", conversationId);
    ASSERT_TRUE(turn) << host.output();
    EXPECT_EQ(turn->getValue<std::string>("level"), "info");
    EXPECT_EQ(turn->getValue<std::string>("key"), "test");
    EXPECT_EQ(turn->getValue<std::string>("route"), "echo");
    EXPECT_EQ(turn->getValue<int>("turn"), 1);
    EXPECT_EQ(turn->getValue<std::string>("outcome"), "complete");
    EXPECT_FALSE(turn->has("error_code"));
    ASSERT_TRUE(turn->get("duration_ms").isInteger());
    ASSERT_TRUE(turn->get("first_chunk_ms").isInteger());
    EXPECT_GE(turn->getValue<std::int64_t>("first_chunk_ms"), 0);
    EXPECT_LE(turn->getValue<std::int64_t>("first_chunk_ms"),
              turn->getValue<std::int64_t>("duration_ms"));
    EXPECT_FALSE(turn->has("content"));

    const auto health = findLine(all, "agenthost.http", "path", "/api/health");
    ASSERT_TRUE(health) << host.output();
    EXPECT_EQ(health->getValue<std::string>("method"), "GET");
    EXPECT_EQ(health->getValue<int>("status"), 200);
    EXPECT_EQ(health->getValue<std::string>("client"), "127.0.0.1");
    EXPECT_GE(health->getValue<double>("duration_ms"), 0.0);

    // The upgrade is a request too; a parameter not known to be harmless keeps only its name.
    const auto upgrade = findLine(all, "agenthost.http", "query", "protocol=2&key=-");
    ASSERT_TRUE(upgrade) << host.output();
    EXPECT_EQ(upgrade->getValue<std::string>("path"), "/api/echo/ws");
    EXPECT_EQ(upgrade->getValue<int>("status"), 101);

    EXPECT_EQ(host.output().find(kTestKey), std::string::npos) << "a key reached the log";
    EXPECT_EQ(host.output().find("not-for-the-log"), std::string::npos) << host.output();
    EXPECT_EQ(host.output().find(kSecretText), std::string::npos) << "message text was logged";
}

TEST(Logging, TextAccessLinesNameTheOutcomeOfEveryTurn) {
    HostProcess host(loggingConfig("format = text\n", "delay_ms = 2000\n"));
    WsClient client(host.port(), "/api/echo/ws");
    client.authenticate(kTestKey);
    client.sendMessage(kSecretText);
    client.sendJson(R"({"type":"cancel"})");
    const auto reply = client.readReply();
    ASSERT_TRUE(reply.terminal);
    ASSERT_TRUE(host.waitForOutput("agenthost.access: turn key=test route=echo conversation="));
    EXPECT_TRUE(host.waitForOutput(" turn=1 outcome=cancelled duration_ms="));
    EXPECT_EQ(host.output().find(kSecretText), std::string::npos) << host.output();
}

TEST(Logging, LogContentTrueAddsTheMessageText) {
    HostProcess host(loggingConfig("format = json\nlog_content = true\n"));
    WsClient client(host.port(), "/api/echo/ws");
    client.authenticate(kTestKey);
    EXPECT_EQ(client.chat(kSecretText).text, kSecretText);
    ASSERT_TRUE(host.waitForOutput("\"logger\":\"agenthost.access\""));
    const auto turn =
        findLine(jsonLines(host.output()), "agenthost.access", "content", kSecretText);
    EXPECT_TRUE(turn) << host.output();
    EXPECT_EQ(host.output().find(kTestKey), std::string::npos);
}

TEST(Logging, TheLogFileIsReopenedOnSighupAfterItWasRenamedAway) {
    TempDir logs;
    const std::string file = logs.file("agenthost.log");
    HostProcess host(loggingConfig("file = " + file + "\nlevel = information\n"));
    ASSERT_TRUE(
        waitUntil([&] { return readFile(file).find("listening on") != std::string::npos; }));
    EXPECT_EQ(host.output().find("listening on"), std::string::npos)
        << "with a file, nothing is logged to stderr";

    // What logrotate does: rename the file, then tell the server.
    const std::string rotated = file + ".1";
    ASSERT_EQ(std::rename(file.c_str(), rotated.c_str()), 0);
    host.signal(SIGHUP);
    ASSERT_TRUE(waitUntil([&] {
        return readFile(file).find("reload: generation") != std::string::npos;
    })) << readFile(rotated);
    EXPECT_NE(readFile(file).find("SIGHUP: reloading"), std::string::npos);
    const std::string old = readFile(rotated);
    EXPECT_EQ(old.find("SIGHUP"), std::string::npos);

    ASSERT_EQ(host.get("/api/health").status, 200);
    EXPECT_TRUE(waitUntil([&] {
        return readFile(file).find(
                   "agenthost.http: http client=127.0.0.1 method=GET "
                   "path=/api/health status=200 duration_ms=") != std::string::npos;
    }));
    EXPECT_EQ(readFile(rotated), old) << "the renamed file is no longer written";
}

TEST(Logging, LinesBelowWarningWaitForFlushMsAndAWarningWritesThemFirst) {
    TempDir logs;
    const std::string file = logs.file("agenthost.log");
    HostProcess host(loggingConfig("file = " + file + "\nflush_ms = 10000\n"));
    WsClient client(host.port(), "/api/echo/ws");
    client.authenticate(kTestKey);
    EXPECT_EQ(client.chat("hello").text, "hello");
    // Ten seconds is far longer than this test takes to get here.
    EXPECT_EQ(readFile(file).find("agenthost.access: turn"), std::string::npos)
        << "an access line was written before flush_ms";

    WsClient intruder(host.port(), "/api/echo/ws");
    intruder.sendText("wrong-key-5555555555");
    EXPECT_EQ(intruder.receiveText(), "error:invalid_api_key");
    EXPECT_EQ(intruder.waitForClose(), 1008);
    ASSERT_TRUE(
        waitUntil([&] { return readFile(file).find("invalid key from") != std::string::npos; }));
    const std::string text = readFile(file);
    const auto turn = text.find("agenthost.access: turn key=test route=echo");
    ASSERT_NE(turn, std::string::npos) << text;
    EXPECT_LT(turn, text.find("invalid key from")) << "the lines that waited come first";

    // What waits when the server stops is written before it exits.
    ASSERT_EQ(host.get("/api/health").status, 200);
    EXPECT_EQ(host.stop(), 0);
    EXPECT_NE(readFile(file).find("path=/api/health status=200"), std::string::npos)
        << readFile(file);
}

TEST(Logging, ALogFileThatCannotBeOpenedStopsTheStart) {
    TempDir dir;
    const std::string ini = dir.write(
        "agenthost.ini", "[plugins]\ndirectory = " + pluginBuildDirectory() +
                             "\n[plugin.echo]\n[key.test]\nsecret = " + kTestKey +
                             "\n[server]\nport = 0\nstate_dir = " + dir.file("state") +
                             "\n[log]\nfile = " + dir.file("missing-folder/agenthost.log") + "\n");
    const auto result = runAgenthost("--config=" + ini);
    EXPECT_NE(result.status, 0);
    EXPECT_NE(result.output.find("cannot open log file"), std::string::npos) << result.output;
}

TEST(Logging, AnUnknownFormatOrLevelIsAConfigError) {
    TempDir dir;
    const std::string ini =
        dir.write("agenthost.ini", "[plugins]\ndirectory = " + pluginBuildDirectory() +
                                       "\n[plugin.echo]\n[log]\nformat = xml\nlevel = loud\n");
    const auto result = runAgenthost("--check-config --config=" + ini);
    EXPECT_EQ(result.status, 1);
    EXPECT_NE(result.output.find("[log] format: must be text or json"), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("[log] level: must be one of"), std::string::npos)
        << result.output;
}

}  // namespace
}  // namespace agenthost::test
