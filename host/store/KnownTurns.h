// What the store's writer knows of each conversation's turn rows (turn_segments) and running
// turns (running_turns), so that a batch can leave out the two DELETEs it nearly always finds
// nothing for: the rows a new turn row supersedes, and the running turns that ended. The writer
// owns the database alone (one write connection), so what it wrote is what is there. What it does
// not know (a conversation not seen since the store opened, or since it forgot) it reads from the
// database first; it forgets everything when a batch does not commit (its writes were undone)
// and on retention, and a conversation when it is deleted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace agenthost::store {

class KnownTurns {
  public:
    // One conversation, as far as the writer's own transaction sees it.
    class Conversation {
      public:
        // `maxLastTurn`: the largest last_turn of its rows (0: none); `running`: its turns in
        // running_turns.
        Conversation(int maxLastTurn, std::vector<int> running);

        // Whether a row [firstTurn, ...] may supersede an existing row (one that starts at or
        // after firstTurn); when not, the DELETE would find nothing.
        bool maySupersede(int firstTurn) const { return rowsStartBelow_ > firstTurn; }
        void wroteRow(int firstTurn);
        // Whether any turn of [from, to] may be in running_turns.
        bool mayBeRunning(int from, int to) const;
        void ended(int from, int to);
        void started(int turn);

      private:
        std::int64_t rowsStartBelow_ = 0;  // every row of the conversation starts below this turn
        std::vector<int> running_;         // ascending
    };

    // nullptr when not known.
    Conversation* find(std::string_view conversationId);
    Conversation& learn(std::string_view conversationId, Conversation known);
    void forget(std::string_view conversationId) {
        if (auto it = conversations_.find(conversationId); it != conversations_.end())
            conversations_.erase(it);
    }
    void forgetAll() { conversations_.clear(); }

    // Beyond this many conversations it starts afresh: knowing is only a saving.
    static constexpr std::size_t kMaxConversations = 4096;

  private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const {
            return std::hash<std::string_view>{}(text);
        }
    };
    std::unordered_map<std::string, Conversation, Hash, std::equal_to<>> conversations_;
};

}  // namespace agenthost::store
