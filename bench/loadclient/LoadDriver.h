// Drives many ClientConnections from one thread with epoll: opens them (a bounded number in
// setup at once, so the server's accept queue is not flooded), keeps them serviced while idle,
// and runs sequential echo round trips on all of them, timing each.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ClientConnection.h"
#include "Options.h"

namespace agenthost::bench {

struct EchoResult {
    std::size_t roundTrips = 0;
    double seconds = 0;
    std::vector<double> latenciesUs;  // one per completed round trip
};

class LoadDriver {
  public:
    explicit LoadDriver(const Options& options);
    ~LoadDriver();
    LoadDriver(const LoadDriver&) = delete;
    LoadDriver& operator=(const LoadDriver&) = delete;

    // Opens `count` connections and waits until each is ready or failed (or the deadline).
    // Returns how many are ready.
    std::size_t establish(std::size_t count, Clock::time_point deadline);
    // Services the open connections (answers pings, notices drops) for `duration`.
    void serviceFor(Clock::duration duration);
    // `messages` sequential round trips on every ready connection, all connections at once.
    EchoResult echo(std::size_t messages, Clock::time_point deadline);
    // Closes every socket.
    void closeAll();

    std::size_t failed() const { return failed_; }
    // Each distinct failure reason with how often it happened.
    const std::map<std::string, std::size_t>& failures() const { return failures_; }

  private:
    bool openOne();
    // One epoll_wait; calls onEvent(index, event) for everything that happened.
    template <typename OnEvent>
    void pump(int timeoutMs, OnEvent&& onEvent);
    void noteFailure(const std::string& why);

    Options options_;
    int epoll_ = -1;
    std::string upgradeRequest_;
    std::vector<std::unique_ptr<ClientConnection>> connections_;
    std::size_t inSetup_ = 0;
    std::size_t failed_ = 0;
    std::map<std::string, std::size_t> failures_;
};

}  // namespace agenthost::bench
