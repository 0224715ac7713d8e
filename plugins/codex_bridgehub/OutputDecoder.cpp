#include "OutputDecoder.h"

namespace codex_bridgehub {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the sequence a lead byte starts, or 0 when it cannot start one.
std::size_t sequenceLength(unsigned char lead) {
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) return 2;
    if (lead >= 0xE0 && lead <= 0xEF) return 3;
    if (lead >= 0xF0 && lead <= 0xF4) return 4;
    return 0;
}

// Whether `byte` may follow `lead` as the second byte (this excludes overlong forms,
// surrogates and code points above U+10FFFF, per RFC 3629 table 3-7).
bool validSecondByte(unsigned char lead, unsigned char byte) {
    if (lead == 0xE0) return byte >= 0xA0 && byte <= 0xBF;
    if (lead == 0xED) return byte >= 0x80 && byte <= 0x9F;
    if (lead == 0xF0) return byte >= 0x90 && byte <= 0xBF;
    if (lead == 0xF4) return byte >= 0x80 && byte <= 0x8F;
    return byte >= 0x80 && byte <= 0xBF;
}

bool isContinuation(unsigned char byte) {
    return byte >= 0x80 && byte <= 0xBF;
}

// How many bytes from `pos` form a valid prefix of the sequence starting there.
std::size_t validPrefix(std::string_view bytes, std::size_t pos, std::size_t length) {
    const auto lead = static_cast<unsigned char>(bytes[pos]);
    std::size_t n = 1;
    while (n < length && pos + n < bytes.size()) {
        const auto byte = static_cast<unsigned char>(bytes[pos + n]);
        const bool ok = n == 1 ? validSecondByte(lead, byte) : isContinuation(byte);
        if (!ok) break;
        ++n;
    }
    return n;
}

// Appends the repaired text of `bytes` to `out`; returns where an incomplete final sequence
// starts (bytes.size() when there is none) if `keepIncompleteTail`, else repairs it too.
std::size_t repairInto(std::string_view bytes, bool keepIncompleteTail, std::string& out) {
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        const std::size_t length = sequenceLength(static_cast<unsigned char>(bytes[pos]));
        if (length == 0) {
            out += kReplacement;
            ++pos;
            continue;
        }
        const std::size_t valid = validPrefix(bytes, pos, length);
        if (valid == length) {
            out.append(bytes.substr(pos, length));
        } else if (pos + valid == bytes.size() && keepIncompleteTail) {
            return pos;  // may still complete with the next read
        } else {
            out += kReplacement;  // one replacement for the maximal invalid subpart
        }
        pos += valid;
    }
    return bytes.size();
}

}  // namespace

std::string OutputDecoder::decode(std::string_view bytes) {
    pending_.append(bytes);
    std::string out;
    const std::size_t kept = repairInto(pending_, true, out);
    pending_.erase(0, kept);
    return out;
}

std::string OutputDecoder::finish() {
    std::string out;
    repairInto(pending_, false, out);
    pending_.clear();
    return out;
}

std::string repairUtf8(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    repairInto(bytes, false, out);
    return out;
}

}  // namespace codex_bridgehub
