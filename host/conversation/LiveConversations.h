// What the HTTP API needs to know from the live side of conversations (the ones in memory, with
// connections and a queue), and what it must tell it.
#pragma once

#include <string>

namespace agenthost::conversation {

class LiveConversations {
  public:
    virtual ~LiveConversations() = default;
    // True while a turn of the conversation runs or messages wait (the spec's "running").
    virtual bool running(const std::string& conversationId) = 0;
    // The conversation was deleted over HTTP: cancel its running turn, send its connections an
    // error frame with code conversation_deleted and move them to a new conversation.
    virtual void deleted(const std::string& conversationId) = 0;
};

}  // namespace agenthost::conversation
