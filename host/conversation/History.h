// A session's conversation so far, kept in the form the plugin ABI passes it: the turns'
// text, and beside it the array of agenthost_turn views into that text (and the parallel
// array of the plugin's opaque per-turn data, history_turn_data). Starting a request
// then costs nothing per turn: the request shares the History (as shared_ptr<const History>)
// and passes data()/size() as they are.
#pragma once

#include <agenthost/plugin_abi.h>

#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace agenthost::conversation {

class History {
  public:
    History() = default;
    // A copy has its own text, so its views point into itself.
    History(const History& other);
    History& operator=(const History&) = delete;

    // role is "user" or "assistant"; `data` what the plugin stored with the turn.
    void append(std::string_view role, std::string content, std::string data = "");
    // Drops the oldest turns beyond `count`.
    void keepLast(std::size_t count);

    const agenthost_turn* data() const { return views_.data() + first_; }
    std::size_t size() const { return views_.size() - first_; }
    const agenthost_str* turnData() const { return dataViews_.data() + first_; }

  private:
    struct Turn {
        const char* role;  // a string literal
        std::string content;
        std::string data;
    };
    std::deque<Turn> turns_;  // a deque never moves its elements: the views stay valid
    // The views of turns_ from first_ on; those before it are of dropped turns. keepLast moves
    // the live ones down only once as many are dead: dropping the oldest turn of a full
    // history, once per turn, then costs a constant, not a move of every view.
    std::vector<agenthost_turn> views_;
    std::vector<agenthost_str> dataViews_;
    std::size_t first_ = 0;
};

}  // namespace agenthost::conversation
