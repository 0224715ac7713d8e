#include "conversation/ConversationId.h"

#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace agenthost::conversation {

std::string newConversationId() {
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::array<unsigned char, 24> bytes{};  // 24 x 6 bits used = 144 bits
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        throw std::runtime_error("no random bytes for a conversation id");
    std::string id;
    id.reserve(bytes.size());
    for (unsigned char byte : bytes) id.push_back(alphabet[byte & 0x3F]);
    return id;
}

bool isWellFormedId(std::string_view id) {
    if (id.size() < 16 || id.size() > 64) return false;
    for (char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

}  // namespace agenthost::conversation
