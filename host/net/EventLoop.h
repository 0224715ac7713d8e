// The poll-driven loop that owns every WebSocket connection after its handshake. One thread
// waits on a Poco PollSet (epoll on Linux) for all sockets, so the number of threads does not
// grow with the number of connections.
#pragma once

#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/PollSet.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "net/Connection.h"

namespace agenthost::net {

class EventLoop {
  public:
    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    void start();
    // Finalizes the connections that are left and joins the loop thread.
    void stop();

    // Any thread: hands a new connection to the loop.
    void add(std::shared_ptr<Connection> connection);
    // Any thread: the loop looks at the connection again soon (e.g. it was aborted).
    void attention(std::shared_ptr<Connection> connection);
    // Any thread: tells every connection's handler that the server is stopping.
    void shutdownAll();

    std::size_t size() const { return count_.load(); }

    // For Connection, with its io lock held.
    void setWriteInterest(const Poco::Net::Socket& socket, bool write);
    void removeFromPollSet(const Poco::Net::Socket& socket);

  private:
    void run();
    void post(std::function<void()> command);
    void wake();
    void runCommands();
    void tick(Clock::time_point now);
    void removeIfFinished(const std::shared_ptr<Connection>& connection);

    Poco::Net::PollSet pollSet_;
    Poco::Net::DatagramSocket wakeSocket_;  // a datagram to ourselves ends a poll early
    std::atomic<bool> wakePending_{false};

    std::mutex commandsMutex_;
    std::vector<std::function<void()>> commands_;

    std::unordered_map<poco_socket_t, std::shared_ptr<Connection>> connections_;
    std::atomic<std::size_t> count_{0};
    std::atomic<bool> running_{false};
    std::thread thread_;
};

}  // namespace agenthost::net
