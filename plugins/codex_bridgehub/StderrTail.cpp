#include "StderrTail.h"

#include "OutputDecoder.h"

namespace codex_bridgehub {

void StderrTail::append(std::string_view bytes) {
    buffer_.append(bytes);
    // Keep twice the limit so that trimming happens rarely, not on every read.
    if (buffer_.size() > 2 * maxBytes_) buffer_.erase(0, buffer_.size() - maxBytes_);
}

std::string StderrTail::lines() const {
    std::string_view text = buffer_;
    if (text.size() > maxBytes_) text.remove_prefix(text.size() - maxBytes_);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    // Walk back over maxLines_ newlines; the tail starts after the last one found.
    std::size_t start = text.size();
    std::size_t searchEnd = text.size();
    for (std::size_t n = 0; n < maxLines_; ++n) {
        const auto newline =
            searchEnd == 0 ? std::string_view::npos : text.rfind('\n', searchEnd - 1);
        if (newline == std::string_view::npos) {
            start = 0;
            break;
        }
        start = newline + 1;
        searchEnd = newline;
    }
    return repairUtf8(text.substr(start));
}

}  // namespace codex_bridgehub
