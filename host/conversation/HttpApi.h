// The HTTP API for stored conversations (spec: conversations.md, "HTTP API for conversations"):
//   GET    /api/conversations?route=R&limit=N&before=CURSOR   list, newest first
//   GET    /api/conversations/<id>[?format=markdown]          one conversation with its turns
//   GET    /api/conversations/<id>/frames?after_seq=N&limit=M its stored frames
//   DELETE /api/conversations/<id>                            204
// A function of a PlainRequest, so any HTTP front end can call it. Every request needs
// "Authorization: Bearer <key>" (401 otherwise) and sees only its key name's conversations;
// another key's id and an unknown one get the same 404. With no store (store = none) every
// request answers 503 {"error":"store_disabled",...}.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "conversation/LiveConversations.h"
#include "http/PlainHttp.h"
#include "store/ConversationStore.h"

namespace agenthost::conversation {

// The key name of a valid client key, or nothing.
using KeyCheck = std::function<std::optional<std::string>(const std::string& key)>;

class HttpApi {
  public:
    // `store` and `live` may be null (no store; no live side: nothing is running).
    HttpApi(store::ConversationStore* store, KeyCheck checkKey, LiveConversations* live);

    // True for /api/conversations and the paths below it.
    static bool handles(const std::string& path);

    http::PlainResponse handle(const http::PlainRequest& request) const;

  private:
    http::PlainResponse list(const std::string& keyName, const std::string& query) const;
    http::PlainResponse get(const store::ConversationInfo& info, const std::string& query) const;
    http::PlainResponse frames(const store::ConversationInfo& info, const std::string& query) const;
    http::PlainResponse remove(const store::ConversationInfo& info) const;
    bool running(const std::string& conversationId) const;

    store::ConversationStore* store_;
    KeyCheck checkKey_;
    LiveConversations* live_;
};

}  // namespace agenthost::conversation
