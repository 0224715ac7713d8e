// The opaque cursor of a conversation list page: where the next page starts in the order
// "newest updated_at first, then id descending". Shared by every store, and checked by the HTTP
// API before a list is asked for.
#pragma once

#include <optional>
#include <string>

#include "store/ConversationStore.h"

namespace agenthost::store {

struct ListCursor {
    Millis updatedAt = 0;
    std::string id;  // the last conversation of the previous page
};

std::string encodeListCursor(const ListCursor& cursor);
// nullopt when `text` is not a cursor this build made.
std::optional<ListCursor> decodeListCursor(const std::string& text);

}  // namespace agenthost::store
