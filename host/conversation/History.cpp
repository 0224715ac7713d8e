#include "conversation/History.h"

#include <cstring>

namespace agenthost::conversation {
namespace {

agenthost_str view(const char* text) {
    return {text, std::strlen(text)};
}
agenthost_str view(const std::string& text) {
    return {text.data(), text.size()};
}

}  // namespace

History::History(const History& other) {
    for (const auto& turn : other.turns_) append(turn.role, turn.content, turn.data);
}

void History::append(std::string_view role, std::string content, std::string data) {
    turns_.push_back(
        {role == "assistant" ? "assistant" : "user", std::move(content), std::move(data)});
    views_.push_back({view(turns_.back().role), view(turns_.back().content)});
    dataViews_.push_back(view(turns_.back().data));
}

void History::keepLast(std::size_t count) {
    if (turns_.size() <= count) return;
    const std::size_t drop = turns_.size() - count;
    turns_.erase(turns_.begin(), turns_.begin() + static_cast<std::ptrdiff_t>(drop));
    first_ += drop;
    if (first_ < views_.size() - first_) return;
    views_.erase(views_.begin(), views_.begin() + static_cast<std::ptrdiff_t>(first_));
    dataViews_.erase(dataViews_.begin(), dataViews_.begin() + static_cast<std::ptrdiff_t>(first_));
    first_ = 0;
}

}  // namespace agenthost::conversation
