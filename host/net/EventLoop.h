// The poll-driven loop that owns the listening socket and every connection, from accept to
// close. One thread waits on an epoll set for all sockets, so the number of threads does not
// grow with the number of connections, pending request heads included.
//
// epoll directly rather than Poco's PollSet: the PollSet returns each turn's ready sockets as a
// std::map it builds (a node, a socket copy and a reference count per ready socket, under a
// mutex), which the echo load paid on every round trip.
#pragma once

#include <Poco/Net/ServerSocket.h>
#include <sys/epoll.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "net/Connection.h"
#include "net/PendingAuth.h"

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

    // Accepted sockets (non-blocking) go to `accepted`, on the loop thread; it adds them.
    using AcceptCallback = std::function<void(Poco::Net::StreamSocket)>;
    // Any thread: accepts connections on `listener` from now on.
    void listen(Poco::Net::ServerSocket listener, AcceptCallback accepted);
    // Any thread: no more accepts; the listening socket is closed on the loop thread.
    void stopListening();

    // Any thread: hands a new connection to the loop.
    void add(std::shared_ptr<Connection> connection);
    // Any thread: the loop looks at the connection again soon (e.g. it was aborted).
    void attention(std::shared_ptr<Connection> connection);
    // Any thread: the loop runs the connection's tick soon (Connection::tickSoon).
    void tickSoon(std::shared_ptr<Connection> connection);
    // Any thread: tells every connection's handler that the server is stopping.
    void shutdownAll();

    std::size_t size() const { return count_.load(); }
    // Connections that are WebSockets now (upgraded and not yet finalized).
    std::size_t webSockets() const { return webSockets_.load(); }

    // For Connection.
    void webSocketOpened() { webSockets_.fetch_add(1); }
    void webSocketClosed() { webSockets_.fetch_sub(1); }

    // Loop thread only: reads from the connection next turn even if poll reports nothing (it
    // has bytes buffered that it did not get to this turn).
    void readAgain(std::shared_ptr<Connection> connection);

    // Loop thread only: the upgraded connections still waiting for their key.
    PendingAuth& pendingAuth() { return pendingAuth_; }
    // Any thread, for Connection: it is no longer pending.
    void keyAccepted(std::shared_ptr<Connection> connection);

    // For Connection, with its io lock held.
    void setWriteInterest(const Poco::Net::Socket& socket, bool write);
    void removeFromPollSet(const Poco::Net::Socket& socket);

  private:
    void run();
    void post(std::function<void()> command);
    void wake();
    void runCommands();
    void tick(Clock::time_point now);
    void serveReadAgain(std::vector<std::shared_ptr<Connection>> connections,
                        Clock::time_point now);
    void removeIfFinished(const std::shared_ptr<Connection>& connection);
    void acceptReady(Clock::time_point now);
    void resumeListening(Clock::time_point now);
    // The poll's timeout: until the next sweep while there are connections, until accepting
    // resumes while it is paused, -1 (no timeout) when nothing is timed.
    int pollTimeoutMs(Clock::time_point lastTick) const;

    // The epoll set: the event's data is the descriptor (connections_ maps it to its connection).
    // epoll_ctl(operation) for `fd`; false with errno set when it failed.
    bool pollControl(int operation, int fd, std::uint32_t events);
    void pollAdd(int fd, std::uint32_t events);  // throws when it cannot
    int epoll_ = -1;
    int wakeFd_ = -1;  // an eventfd: writing to it ends a poll early
    std::atomic<bool> wakePending_{false};
    std::array<epoll_event, 256> ready_{};  // loop thread only

    std::mutex commandsMutex_;
    std::vector<std::function<void()>> commands_;

    using ConnectionMap = std::unordered_map<poco_socket_t, std::shared_ptr<Connection>>;
    // This very connection in the map (its fd may already belong to a newer one), or end().
    ConnectionMap::iterator find(const std::shared_ptr<Connection>& connection);
    bool known(const std::shared_ptr<Connection>& connection);

    ConnectionMap connections_;
    std::atomic<std::size_t> count_{0};
    std::atomic<std::size_t> webSockets_{0};
    PendingAuth pendingAuth_;                             // loop thread only
    std::vector<std::shared_ptr<Connection>> readAgain_;  // loop thread only

    // Loop thread only.
    Poco::Net::ServerSocket listener_;
    bool listening_ = false;
    AcceptCallback accepted_;
    Clock::time_point listenPausedUntil_{};  // out of file descriptors: retry after a pause
    bool listenPaused_ = false;
    std::atomic<bool> running_{false};
    std::thread thread_;
};

}  // namespace agenthost::net
