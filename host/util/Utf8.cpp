#include "util/Utf8.h"

#include <cstdint>

namespace agenthost::util {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// What the bytes at text[i] are: a well-formed sequence, an ill-formed one, or a valid prefix
// cut short by the end of the text. `length` is the sequence, or the maximal ill-formed
// subpart (the lead byte and the continuation bytes that fit it) which becomes one U+FFFD as
// Unicode recommends and browsers do, so the result does not depend on where text was split.
struct Sequence {
    enum class Kind { Valid, Invalid, Truncated } kind;
    std::size_t length;
};

Sequence sequenceAt(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(text[k]); };
    const std::uint8_t lead = byte(i);
    if (lead < 0x80) return {Sequence::Kind::Valid, 1};
    std::size_t length = 0;
    std::uint8_t low = 0x80, high = 0xBF;  // allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;   // no overlongs
        if (lead == 0xED) high = 0x9F;  // no surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;   // no overlongs
        if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
    } else {
        return {Sequence::Kind::Invalid, 1};
    }
    for (std::size_t k = 1; k < length; ++k) {
        if (i + k >= text.size()) return {Sequence::Kind::Truncated, k};
        const std::uint8_t b = byte(i + k);
        const std::uint8_t lo = k == 1 ? low : 0x80, hi = k == 1 ? high : 0xBF;
        if (b < lo || b > hi) return {Sequence::Kind::Invalid, k};
    }
    return {Sequence::Kind::Valid, length};
}

// How many ASCII bytes, at most `limit`, start at text[i].
std::size_t asciiRun(std::string_view text, std::size_t i, std::size_t limit) {
    std::size_t n = 0;
    while (n < limit && i + n < text.size() && static_cast<unsigned char>(text[i + n]) < 0x80) ++n;
    return n;
}

}  // namespace

bool isValidUtf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const Sequence sequence = sequenceAt(text, i);
        if (sequence.kind != Sequence::Kind::Valid) return false;
        i += sequence.length;
    }
    return true;
}

bool Utf8Validator::feed(std::string_view bytes) {
    std::string joined;
    std::string_view text = bytes;
    if (!pending_.empty()) {  // at most 3 bytes: only the first sequence needs them
        joined = pending_ + std::string(bytes.substr(0, 4));
        text = joined;
    }
    std::size_t i = 0;
    for (; i < text.size();) {
        const Sequence sequence = sequenceAt(text, i);
        if (sequence.kind == Sequence::Kind::Invalid) return false;
        if (sequence.kind == Sequence::Kind::Truncated) break;
        i += sequence.length;
        if (!joined.empty() && i >= pending_.size()) {  // past the held bytes: go on in `bytes`
            i -= pending_.size();
            joined.clear();
            pending_.clear();
            text = bytes;
        }
    }
    pending_ = std::string(text.substr(i));
    return true;
}

std::string repairUtf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const Sequence sequence = sequenceAt(text, i);
        if (sequence.kind == Sequence::Kind::Valid)
            out.append(text.substr(i, sequence.length));
        else
            out.append(kReplacement);
        i += sequence.length;
    }
    return out;
}

std::string_view withoutTruncatedEnd(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const Sequence sequence = sequenceAt(text, i);
        if (sequence.kind == Sequence::Kind::Truncated) return text.substr(0, i);
        i += sequence.length;
    }
    return text;
}

Utf8Chunker::Utf8Chunker(std::size_t maxCodePoints)
    : maxCodePoints_(maxCodePoints == 0 ? 1 : maxCodePoints) {}

std::vector<std::string> Utf8Chunker::push(std::string_view bytes) {
    std::string text = std::move(pending_);
    pending_.clear();
    text.append(bytes);

    std::vector<std::string> chunks;
    std::string current;
    std::size_t codePoints = 0;
    for (std::size_t i = 0; i < text.size();) {
        const Sequence sequence = sequenceAt(text, i);
        if (sequence.kind == Sequence::Kind::Truncated) {  // keep it for the next push
            pending_ = text.substr(i);
            break;
        }
        if (codePoints == maxCodePoints_) {
            chunks.push_back(std::move(current));
            current.clear();
            codePoints = 0;
        }
        if (const std::size_t ascii = asciiRun(text, i, maxCodePoints_ - codePoints)) {
            current.append(text, i, ascii);  // the common case, at once
            codePoints += ascii;
            i += ascii;
            continue;
        }
        if (sequence.kind == Sequence::Kind::Valid)
            current.append(text, i, sequence.length);
        else
            current.append(kReplacement);
        ++codePoints;
        i += sequence.length;
    }
    if (!current.empty()) chunks.push_back(std::move(current));
    return chunks;
}

std::string Utf8Chunker::flush() {
    std::string rest = pending_.empty() ? "" : std::string(kReplacement);
    pending_.clear();
    return rest;
}

}  // namespace agenthost::util
