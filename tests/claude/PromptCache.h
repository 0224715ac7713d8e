// The Messages API's prompt cache, modelled for the mock: which part of a request's input is
// billed in full, written to the cache, or read from it.
//
// As the API does (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching): the
// prompt is the sequence of blocks system, then each message's content blocks; a block with
// cache_control is a breakpoint, and the prefix up to it is written to the cache. A later
// request reads the longest prefix that ends at a block boundary at or before a breakpoint
// (looking back at most 20 blocks from it) and was written before. Tokens are counted as a
// block's JSON length / 4 (at least 1), cache_control left out; there is no minimum length.
#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <mutex>
#include <set>
#include <string>

namespace agenthost::test {

struct CacheUsage {
    std::uint64_t inputTokens = 0;  // billed at full price
    std::uint64_t cacheCreationInputTokens = 0;
    std::uint64_t cacheReadInputTokens = 0;
};

class PromptCache {
  public:
    // Accounts one request body (and remembers what it wrote). Thread-safe.
    CacheUsage account(const Poco::JSON::Object& body);

  private:
    std::mutex mutex_;
    std::set<std::string> cached_;  // prefixes written, as their blocks' JSON joined
};

// The usage object of a message_start event carrying `usage`.
std::string usageJson(const CacheUsage& usage, std::uint64_t outputTokens);

}  // namespace agenthost::test
