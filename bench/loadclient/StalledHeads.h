// The slowloris attacker of the load client: sockets that send the start of a request head
// (`GET /api/<route>/ws HTTP/1.1\r\nHost: x\r\n`) and then nothing, held open in the load
// driver's epoll set. One the server closes is opened again at once, as an attacker's script
// would, so that the count stays what was asked for; how many were closed, and how old the
// first was, says whether (and when) the server gives up on a stalled head.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace agenthost::bench {

class StalledHeads {
  public:
    // Events of stalled socket i carry the epoll tag `kTag | i`.
    static constexpr std::uint64_t kTag = std::uint64_t{1} << 63;

    StalledHeads(int epoll, std::string host, int port, std::string route);
    ~StalledHeads();
    StalledHeads(const StalledHeads&) = delete;
    StalledHeads& operator=(const StalledHeads&) = delete;

    // Opens `count` sockets, one after another (each connect waits for the server's SYN-ACK),
    // sends each the partial head. Returns how many are open.
    std::size_t open(std::size_t count);
    // An epoll event on socket `index`: the server sent something or hung up.
    void onEvent(std::size_t index);

    std::size_t held() const;
    // Sockets the server closed (each was opened again).
    std::size_t closedByServer() const { return closedByServer_; }
    // Age of the first socket the server closed, in seconds (-1: none was closed).
    double firstClosedAgeS() const { return firstClosedAgeS_; }
    // What the server sent on a stalled socket before closing it (first line of the first).
    const std::string& serverSaid() const { return serverSaid_; }

  private:
    using Clock = std::chrono::steady_clock;
    int openOne(std::size_t index);

    int epoll_;
    std::string host_;
    int port_;
    std::string partialHead_;
    std::vector<int> fds_;
    std::vector<Clock::time_point> openedAt_;
    std::size_t closedByServer_ = 0;
    double firstClosedAgeS_ = -1;
    std::string serverSaid_;
};

}  // namespace agenthost::bench
