// The assistant's message as the Messages API's content blocks, rebuilt from the stream's
// content_block_start / content_block_delta / content_block_stop events.
//
// Later requests must send some blocks back exactly as they came: thinking blocks with their
// signature (the API checks it and rejects a modified block), redacted_thinking blocks with
// their opaque data, and, when a turn pauses (stop_reason pause_turn), every block so far, so
// that the model can go on where it stopped. Blocks of a type this code does not know are kept
// as they came, with their deltas applied when the delta type is known.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace agenthost::claude {

class AssistantContent {
  public:
    // content_block_start: `block` is its content_block object.
    void start(std::size_t index, const Poco::JSON::Object::Ptr& block);
    // content_block_delta; false when the delta's type is unknown (then it is ignored).
    bool delta(std::size_t index, const Poco::JSON::Object::Ptr& delta);

    // The blocks of `later` (a continuation's) after these; no more deltas come to this one.
    void append(const AssistantContent& later);

    bool empty() const { return blocks_.empty(); }
    // Whether every block is text: then the answer's text says all, and nothing needs keeping.
    bool onlyText() const;
    // The blocks, in order, ready to be a message's "content".
    Poco::JSON::Array::Ptr blocks() const;
    std::string json() const;

  private:
    struct Block {
        Poco::JSON::Object::Ptr start;
        // Text appended by deltas, per field ("text", "thinking", "signature"): kept apart
        // from `start` so that a long answer is not copied once per delta.
        std::map<std::string, std::string> appended;
        std::string partialJson;  // input_json_delta pieces: the block's "input"
        Poco::JSON::Array::Ptr citations;
    };
    Block* find(std::size_t index);
    static Poco::JSON::Object::Ptr finished(const Block& block);

    std::vector<Block> blocks_;
    std::vector<std::size_t> indexes_;  // the stream's index of each block
};

}  // namespace agenthost::claude
