#include "net/PendingAuth.h"

#include "net/Connection.h"

namespace agenthost::net {

void PendingAuth::add(const std::shared_ptr<Connection>& connection) {
    if (index_.count(connection.get()) != 0) return;
    index_[connection.get()] = order_.insert(order_.end(), connection);
    ++perAddress_[connection->peerHost()];
}

void PendingAuth::remove(const Connection* connection) {
    const auto found = index_.find(connection);
    if (found != index_.end()) forget(found->second);
}

std::shared_ptr<Connection> PendingAuth::takeOldest() {
    if (order_.empty()) return nullptr;
    auto oldest = order_.front();
    forget(order_.begin());
    return oldest;
}

void PendingAuth::clear() {
    order_.clear();
    index_.clear();
    perAddress_.clear();
}

std::size_t PendingAuth::fromAddress(const std::string& address) const {
    const auto found = perAddress_.find(address);
    return found == perAddress_.end() ? 0 : found->second;
}

void PendingAuth::forget(std::list<std::shared_ptr<Connection>>::iterator it) {
    const auto address = perAddress_.find((*it)->peerHost());
    if (address != perAddress_.end() && --address->second == 0) perAddress_.erase(address);
    index_.erase(it->get());
    order_.erase(it);
}

}  // namespace agenthost::net
