// The WebSocket connections that are upgraded but have not given a key yet, oldest first, and
// how many of them each client address holds. A flood of keyless sockets is bounded by these
// counts (docs/config.md: max_pending_auth, max_pending_auth_per_address) rather than by the
// connection limit, so that clients with a key can always get in.
//
// Threading: loop thread only, like the connection map it shadows.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

namespace agenthost::net {

class Connection;

class PendingAuth {
  public:
    void add(const std::shared_ptr<Connection>& connection);
    // No-op for a connection that is not pending (it authenticated, or was taken out before).
    void remove(const Connection* connection);
    // Takes the connection that has waited longest out of the set; null when it is empty.
    std::shared_ptr<Connection> takeOldest();
    void clear();

    std::size_t size() const { return order_.size(); }
    std::size_t fromAddress(const std::string& address) const;

  private:
    void forget(std::list<std::shared_ptr<Connection>>::iterator it);

    std::list<std::shared_ptr<Connection>> order_;  // oldest first
    std::unordered_map<const Connection*, std::list<std::shared_ptr<Connection>>::iterator> index_;
    std::unordered_map<std::string, std::size_t> perAddress_;
};

}  // namespace agenthost::net
