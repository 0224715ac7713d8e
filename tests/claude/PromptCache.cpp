#include "PromptCache.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <sstream>
#include <vector>

namespace agenthost::test {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr std::size_t kLookbackBlocks = 20;

struct Block {
    std::string json;  // without cache_control
    bool breakpoint = false;
};

std::string stringify(const Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

Block blockOf(const Poco::Dynamic::Var& value) {
    Block block;
    if (value.isString()) {
        Object text;
        text.set("type", "text");
        text.set("text", value.extract<std::string>());
        block.json = stringify(text);
        return block;
    }
    Object copy(*value.extract<Object::Ptr>());
    block.breakpoint = copy.has("cache_control");
    copy.remove("cache_control");
    block.json = stringify(copy);
    return block;
}

void addContent(std::vector<Block>& blocks, const Poco::Dynamic::Var& content) {
    if (content.isEmpty()) return;
    if (content.type() == typeid(Array::Ptr)) {
        const Array::Ptr array = content.extract<Array::Ptr>();
        for (std::size_t i = 0; i < array->size(); ++i) blocks.push_back(blockOf(array->get(i)));
    } else {
        blocks.push_back(blockOf(content));
    }
}

std::vector<Block> blocksOf(const Object& body) {
    std::vector<Block> blocks;
    if (body.has("system")) addContent(blocks, body.get("system"));
    const Array::Ptr messages = body.getArray("messages");
    for (std::size_t i = 0; messages && i < messages->size(); ++i) {
        const Object::Ptr message = messages->getObject(i);
        // The role is part of what is cached: the same text as another role is another prompt.
        blocks.push_back({"role:" + message->getValue<std::string>("role"), false});
        addContent(blocks, message->get("content"));
    }
    return blocks;
}

std::uint64_t tokensOf(const Block& block) {
    return std::max<std::uint64_t>(1, block.json.size() / 4);
}

}  // namespace

CacheUsage PromptCache::account(const Object& body) {
    const std::vector<Block> blocks = blocksOf(body);
    const std::string model = body.optValue<std::string>("model", "");
    std::vector<std::string> prefixes;  // prefixes[i]: blocks 0..i
    std::string prefix = "model:" + model;
    for (const Block& block : blocks) prefixes.push_back(prefix += "\n" + block.json);

    std::lock_guard<std::mutex> lock(mutex_);
    // The longest cached prefix reachable from some breakpoint, and the last breakpoint.
    std::size_t readEnd = 0, writeEnd = 0;  // block counts
    for (std::size_t b = 0; b < blocks.size(); ++b) {
        if (!blocks[b].breakpoint) continue;
        writeEnd = b + 1;
        const std::size_t lowest = b >= kLookbackBlocks ? b - kLookbackBlocks : 0;
        for (std::size_t j = b + 1; j-- > lowest;)
            if (cached_.count(prefixes[j])) {
                readEnd = std::max(readEnd, j + 1);
                break;
            }
    }
    CacheUsage usage;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        const std::uint64_t tokens = tokensOf(blocks[i]);
        if (i < readEnd)
            usage.cacheReadInputTokens += tokens;
        else if (i < writeEnd)
            usage.cacheCreationInputTokens += tokens;
        else
            usage.inputTokens += tokens;
    }
    for (std::size_t b = 0; b < blocks.size(); ++b)
        if (blocks[b].breakpoint) cached_.insert(prefixes[b]);
    return usage;
}

std::string usageJson(const CacheUsage& usage, std::uint64_t outputTokens) {
    return R"({"input_tokens":)" + std::to_string(usage.inputTokens) +
           R"(,"cache_creation_input_tokens":)" + std::to_string(usage.cacheCreationInputTokens) +
           R"(,"cache_read_input_tokens":)" + std::to_string(usage.cacheReadInputTokens) +
           R"(,"output_tokens":)" + std::to_string(outputTokens) + "}";
}

}  // namespace agenthost::test
