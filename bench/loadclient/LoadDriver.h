// Drives many ClientConnections from one thread with epoll: opens them (a bounded number in
// setup at once, so the server's accept queue is not flooded), keeps them serviced while idle,
// and runs sequential echo round trips on all of them, timing each; or resumes a conversation
// again and again, timing each replay; or times new clients while stalled request heads are
// held open (slowloris), or counts TLS handshakes.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ClientConnection.h"
#include "Options.h"
#include "StalledHeads.h"

namespace agenthost::bench {

struct EchoResult {
    std::size_t roundTrips = 0;
    double seconds = 0;
    std::vector<double> latenciesUs;  // one per completed round trip
};

struct ProbeResult {
    std::size_t done = 0;        // probes that round-tripped their echo
    std::vector<double> millis;  // one per completed probe: connect to the echo's complete frame
};

struct HandshakeResult {
    std::size_t done = 0;  // TLS handshakes completed (and the session ended by the server)
    double seconds = 0;
};

struct ResumeResult {
    std::size_t done = 0;        // resumes whose replay arrived whole
    std::int64_t frames = 0;     // frames replayed by each (the last resume's count)
    std::vector<double> millis;  // one per completed resume
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
    // `count` resumes of `conversationId`, one after another, each on a new connection (by
    // the upgrade URL or by a resume frame after ready): the time from the connection's start
    // (URL) or the resume frame (frame) until the last replayed frame is in.
    ResumeResult resume(const std::string& conversationId, std::size_t count,
                        Clock::time_point deadline);
    // Opens `count` stalled request heads (kept open, reopened when the server closes one)
    // and services them with everything else. Returns how many are open.
    std::size_t holdStalledHeads(std::size_t count);
    const StalledHeads* stalled() const { return stalled_.get(); }
    // `count` new clients, one after another, each on a new connection: connect, (TLS,)
    // upgrade, key, ready, one echo round trip, close; each timed from its connect.
    ProbeResult probe(std::size_t count, Clock::time_point deadline);
    // `count` TLS handshakes (--tls), at most --window at once, each connection ended with
    // close_notify once its handshake is done.
    HandshakeResult handshakes(std::size_t count, Clock::time_point deadline);
    // The conversation of each connection, in opening order ("" when the server names none).
    std::vector<std::string> conversationIds() const;
    // Closes every socket.
    void closeAll();

    std::size_t failed() const { return failed_; }
    // Each distinct failure reason with how often it happened.
    const std::map<std::string, std::size_t>& failures() const { return failures_; }

  private:
    bool openOne(const std::string& upgradeRequest);
    // Services the connections until connection `index` is ready or failed.
    void establishOne(std::size_t index, Clock::time_point deadline);
    // Services the connections until connection `index` reports `wanted` (true) or fails;
    // a timeout is noted as the failure `late`.
    bool awaitEvent(std::size_t index, ClientConnection::Event wanted, Clock::time_point deadline,
                    const char* late);
    // One epoll_wait; calls onEvent(index, event) for everything that happened.
    template <typename OnEvent>
    void pump(int timeoutMs, OnEvent&& onEvent);
    void noteFailure(const std::string& why);

    Options options_;
    int epoll_ = -1;
    std::string upgradeRequest_;
    std::vector<std::unique_ptr<ClientConnection>> connections_;  // null once done with
    std::unique_ptr<StalledHeads> stalled_;
    std::size_t inSetup_ = 0;
    std::size_t failed_ = 0;
    std::map<std::string, std::size_t> failures_;
};

}  // namespace agenthost::bench
