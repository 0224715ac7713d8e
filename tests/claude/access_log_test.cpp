// The access line of a turn (docs/config.md, [log]) with what only a real upstream plugin
// reports: the tokens of a complete turn, and the error code of a failed one.
#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "ClaudeHost.h"
#include "support/Wait.h"

namespace agenthost::test {
namespace {

// The JSON lines of logger agenthost.access in `output`, in order.
std::vector<Poco::JSON::Object::Ptr> accessLines(const std::string& output) {
    std::vector<Poco::JSON::Object::Ptr> lines;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);)
        if (line.find("\"logger\":\"agenthost.access\"") != std::string::npos)
            lines.push_back(parseJson(line));
    return lines;
}

TEST(ClaudeAccessLog, TheTurnLineCarriesTheTokensOrTheErrorCode) {
    MockAnthropic mock;
    mock.setDefault(streamPieces({"Hel", "lo"}, 21, 8));
    HostProcess host(hostWith(claudeSection(mock) + "[log]\nformat = json\n"));
    auto client = connect(host);
    ASSERT_EQ(client->chat("Say hello").terminalType(), "complete");
    mock.enqueue(errorStatus(429, "rate_limit_error", "mock says no"));
    ASSERT_EQ(errorCode(client->chat("again")), "rate_limited");

    std::vector<Poco::JSON::Object::Ptr> lines;
    ASSERT_TRUE(waitUntil([&] { return (lines = accessLines(host.output())).size() == 2; }))
        << host.output();
    const auto& complete = lines[0];
    EXPECT_EQ(complete->getValue<std::string>("route"), "claude");
    EXPECT_EQ(complete->getValue<std::string>("key"), "test");
    EXPECT_EQ(complete->getValue<int>("turn"), 1);
    EXPECT_EQ(complete->getValue<std::string>("outcome"), "complete");
    EXPECT_EQ(complete->getValue<int>("input_tokens"), 21);
    EXPECT_EQ(complete->getValue<int>("output_tokens"), 8);
    EXPECT_TRUE(complete->has("first_chunk_ms"));

    const auto& failed = lines[1];
    EXPECT_EQ(failed->getValue<int>("turn"), 2);
    EXPECT_EQ(failed->getValue<std::string>("outcome"), "error");
    EXPECT_EQ(failed->getValue<std::string>("error_code"), "rate_limited");
    EXPECT_FALSE(failed->has("first_chunk_ms"));
    EXPECT_EQ(failed->getValue<std::string>("conversation"),
              complete->getValue<std::string>("conversation"));

    EXPECT_EQ(host.output().find(kApiKey), std::string::npos) << "the API key reached the log";
    EXPECT_EQ(host.output().find(kTestKey), std::string::npos) << "a client key reached the log";
    EXPECT_EQ(host.output().find("Say hello"), std::string::npos) << "message text was logged";
}

}  // namespace
}  // namespace agenthost::test
