#include "store/ListCursor.h"

#include <charconv>

namespace agenthost::store {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

}  // namespace

// Hex of "updated_at:id": opaque to clients, safe in a URL without escaping.
std::string encodeListCursor(const ListCursor& cursor) {
    const std::string plain = std::to_string(cursor.updatedAt) + ":" + cursor.id;
    std::string hex;
    hex.reserve(plain.size() * 2);
    for (unsigned char c : plain) {
        hex += kHexDigits[c >> 4];
        hex += kHexDigits[c & 0xF];
    }
    return hex;
}

std::optional<ListCursor> decodeListCursor(const std::string& text) {
    if (text.empty() || text.size() % 2 != 0) return std::nullopt;
    std::string plain;
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const int high = hexValue(text[i]), low = hexValue(text[i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        plain += static_cast<char>(high * 16 + low);
    }
    const std::size_t colon = plain.find(':');
    if (colon == std::string::npos || colon + 1 == plain.size()) return std::nullopt;
    ListCursor cursor;
    const auto [end, error] = std::from_chars(plain.data(), plain.data() + colon, cursor.updatedAt);
    if (error != std::errc() || end != plain.data() + colon) return std::nullopt;
    cursor.id = plain.substr(colon + 1);
    return cursor;
}

}  // namespace agenthost::store
