// UTF-8 helpers for text that must reach clients intact: validation, repair, and splitting a
// stream of bytes into chunks of at most N code points without breaking a sequence.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace agenthost::util {

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or values above U+10FFFF).
bool isValidUtf8(std::string_view text);

// Validates UTF-8 that arrives in pieces (a message's fragments, a frame's bytes as they come
// in): it says as soon as a piece makes the text ill-formed, whatever the split.
class Utf8Validator {
  public:
    // False once the text so far cannot be the start of well-formed UTF-8.
    bool feed(std::string_view bytes);
    // The text so far ends on a code point boundary (is well-formed as it is).
    bool complete() const { return pending_.empty(); }
    void reset() { pending_.clear(); }

  private:
    std::string pending_;  // an incomplete sequence at the end of the last piece
};

// Copies `text`, replacing every ill-formed subsequence with U+FFFD.
std::string repairUtf8(std::string_view text);

// `text` without a sequence cut short at its very end (text cut to fit a buffer in the middle of
// a character): what remains is what repairUtf8 would keep whole.
std::string_view withoutTruncatedEnd(std::string_view text);

// Splits streamed text into pieces of at most `maxCodePoints` code points as it arrives.
// push() returns everything that can be sent now: it never waits to fill a chunk, and holds
// back only an incomplete UTF-8 sequence at the very end, to be joined with the next push().
class Utf8Chunker {
  public:
    explicit Utf8Chunker(std::size_t maxCodePoints);

    std::vector<std::string> push(std::string_view bytes);

    // Ends the stream: a held-back incomplete sequence comes out as U+FFFD (or nothing).
    std::string flush();

  private:
    std::size_t maxCodePoints_;
    std::string pending_;  // an incomplete trailing sequence from the last push
};

}  // namespace agenthost::util
