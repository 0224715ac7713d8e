// Turns a child's raw output bytes into valid UTF-8, read by read.
#pragma once

#include <string>
#include <string_view>

namespace codex_bridgehub {

// Every ill-formed byte sequence becomes U+FFFD (one per maximal invalid subpart, as the
// Unicode standard recommends), so broken output is visible rather than dropped or forwarded
// as is. A sequence split across two reads is held back and joined with the next read.
class OutputDecoder {
  public:
    // The valid UTF-8 text of `bytes`, minus an incomplete sequence at its end (kept for later).
    std::string decode(std::string_view bytes);
    // What is still held back, repaired: call once when the stream ended.
    std::string finish();

  private:
    std::string pending_;
};

// Repairs a complete piece of text in one go.
std::string repairUtf8(std::string_view bytes);

}  // namespace codex_bridgehub
