// Every live conversation of the host, and the way to one: a new conversation for a
// connection, an existing one (live, or loaded from the store) for a resume, deletion, crash
// recovery at start and shutdown. Conversations are live while a connection is attached or a
// turn runs or waits; the hub only remembers them (weakly) to hand the same object to every
// connection that asks for it.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "conversation/Conversation.h"
#include "conversation/Services.h"

namespace agenthost::conversation {

class ConversationHub {
  public:
    explicit ConversationHub(const Services& services);

    // A new conversation of `keyName` on the route `instance` serves.
    std::shared_ptr<Conversation> create(const std::string& keyName,
                                         std::shared_ptr<plugin::PluginInstance> instance);
    // The conversation `id` if it exists and belongs to this key name and route; else null
    // (the same answer for unknown, deleted and foreign ids). May read the store: never call
    // it on the event-loop thread.
    std::shared_ptr<Conversation> open(const std::string& id, const std::string& keyName,
                                       std::shared_ptr<plugin::PluginInstance> instance);

    // For the HTTP API.
    bool running(const std::string& id);
    // The conversation was deleted from the store: stop it and tell its connections.
    void deleted(const std::string& id);

    // At start, before any connection: closes every turn a crash left open with one error
    // frame, code interrupted. Returns how many.
    std::size_t closeInterruptedTurns();
    // The host is stopping: running and queued turns end with an error frame.
    void shutdownAll();

  private:
    std::shared_ptr<Conversation> findLive(const std::string& id);
    std::shared_ptr<Conversation> load(const std::string& id, const std::string& keyName,
                                       std::shared_ptr<plugin::PluginInstance> instance);

    const Services services_;
    std::mutex loadMutex_;  // one load from the store at a time; taken before mutex_
    std::mutex mutex_;      // guards live_; never held while the store is read
    std::unordered_map<std::string, std::weak_ptr<Conversation>> live_;
    std::size_t liveAfterSweep_ = 0;  // live_.size() after the last sweep of expired entries
};

}  // namespace agenthost::conversation
