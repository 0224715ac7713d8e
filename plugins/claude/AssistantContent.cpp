#include "AssistantContent.h"

#include <Poco/JSON/Parser.h>

#include <sstream>

namespace agenthost::claude {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string optString(const Object::Ptr& object, const char* name) {
    if (!object || !object->has(name) || object->isNull(name)) return "";
    return object->getValue<std::string>(name);
}

// The string field `name` of a delta, appended to the block's field `field`.
bool appendField(std::map<std::string, std::string>& appended, const Object::Ptr& delta,
                 const char* name, const char* field) {
    appended[field] += optString(delta, name);
    return true;
}

}  // namespace

void AssistantContent::start(std::size_t index, const Object::Ptr& block) {
    Block b;
    // A copy: the parsed event goes away, and finished() must not change what it shares.
    b.start = block ? new Object(*block) : new Object;
    blocks_.push_back(std::move(b));
    indexes_.push_back(index);
}

AssistantContent::Block* AssistantContent::find(std::size_t index) {
    for (std::size_t i = blocks_.size(); i-- > 0;)
        if (indexes_[i] == index) return &blocks_[i];
    return nullptr;
}

bool AssistantContent::delta(std::size_t index, const Object::Ptr& delta) {
    const std::string type = optString(delta, "type");
    Block* block = find(index);
    if (type == "text_delta") return !block || appendField(block->appended, delta, "text", "text");
    if (type == "thinking_delta")
        return !block || appendField(block->appended, delta, "thinking", "thinking");
    if (type == "signature_delta")
        return !block || appendField(block->appended, delta, "signature", "signature");
    if (type == "input_json_delta") {
        if (block) block->partialJson += optString(delta, "partial_json");
        return true;
    }
    if (type == "citations_delta") {
        if (block && delta->has("citation")) {
            if (!block->citations) block->citations = new Array;
            block->citations->add(delta->get("citation"));
        }
        return true;
    }
    return false;
}

void AssistantContent::append(const AssistantContent& later) {
    for (std::size_t i = 0; i < later.blocks_.size(); ++i) {
        blocks_.push_back(later.blocks_[i]);
        indexes_.push_back(later.indexes_[i]);
    }
}

bool AssistantContent::onlyText() const {
    for (const Block& block : blocks_)
        if (optString(block.start, "type") != "text") return false;
    return true;
}

Object::Ptr AssistantContent::finished(const Block& block) {
    Object::Ptr out = new Object(*block.start);
    for (const auto& [field, text] : block.appended)
        out->set(field, optString(out, field.c_str()) + text);
    if (!block.partialJson.empty()) {
        Poco::JSON::Parser parser;
        out->set("input", parser.parse(block.partialJson));
    }
    if (block.citations) {
        Array::Ptr all = out->getArray("citations");
        Array::Ptr merged = all ? new Array(*all) : new Array;
        for (std::size_t i = 0; i < block.citations->size(); ++i)
            merged->add(block.citations->get(i));
        out->set("citations", merged);
    }
    return out;
}

Array::Ptr AssistantContent::blocks() const {
    Array::Ptr out = new Array;
    for (const Block& block : blocks_) out->add(finished(block));
    return out;
}

std::string AssistantContent::json() const {
    std::ostringstream out;
    blocks()->stringify(out);
    return out.str();
}

}  // namespace agenthost::claude
