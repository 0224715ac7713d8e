// The server's metrics registry, read by GET /metrics (see Exposition). Every series is labelled
// only by names from the configuration (routes, key names) or by a fixed vocabulary (outcomes,
// token types, plugin error codes capped in number), never by a conversation id or an address.
//
// Recording is cheap enough for the echo hot path: a conversation or session resolves its
// series once (a map lookup under a mutex) and then only adds to relaxed atomics. Series are
// never removed, so the references stay valid for the life of the registry; their number is
// bounded by the routes and keys the configuration has named since the start.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "metrics/Exposition.h"
#include "metrics/Histogram.h"

namespace agenthost::metrics {

// What one route records, whoever the key.
struct RouteSeries {
    std::atomic<std::int64_t> unauthenticated{0};  // open WebSockets waiting for their key
    std::atomic<std::int64_t> authenticated{0};    // open WebSockets with an accepted key
    std::atomic<std::uint64_t> opened{0};          // WebSockets opened (upgrades)
    std::atomic<std::uint64_t> invalidKey{0};      // authentication failures, by reason
    std::atomic<std::uint64_t> forbidden{0};
    std::atomic<std::uint64_t> authTimeout{0};
    std::atomic<std::int64_t> activeRequests{0};  // turns the plugin is answering
    std::atomic<std::int64_t> queuedMessages{0};  // turns waiting for the one before
    std::atomic<std::uint64_t> resumes{0};
    std::atomic<std::uint64_t> replayedFrames{0};
    Histogram timeToFirstChunk;  // from the plugin's start to the first message frame
    Histogram requestDuration;   // from the plugin's start to the turn's last frame
};

// What one route and key record: requests by outcome, and tokens.
class KeySeries {
  public:
    std::atomic<std::uint64_t> complete{0};
    std::atomic<std::uint64_t> cancelled{0};
    std::atomic<std::uint64_t> rateLimited{0};
    std::atomic<std::uint64_t> inputTokens{0};
    std::atomic<std::uint64_t> outputTokens{0};

    // Error codes come from plugins too: past kMaxErrorCodes distinct ones, "other".
    static constexpr std::size_t kMaxErrorCodes = 32;
    void error(const std::string& code);
    std::map<std::string, std::uint64_t> errors() const;

  private:
    mutable std::mutex errorsMutex_;
    std::map<std::string, std::uint64_t> errors_;
};

// How a request (one user message) ended.
enum class Outcome { Complete, Error, Cancelled };

// One conversation's (or session's) view of the registry: its route's and key's series. A
// default-constructed one (metrics off) records nothing.
class Recorder {
  public:
    Recorder() = default;
    Recorder(RouteSeries* route, KeySeries* key) : route_(route), key_(key) {}

    bool on() const { return route_ != nullptr; }
    // Now, when metrics are on (the clock is not read otherwise).
    std::chrono::steady_clock::time_point now() const;

    void queued() const;
    void started() const;  // a queued message started running
    void firstChunk(std::chrono::steady_clock::time_point startedAt) const;
    // A running turn ended (`startedAt` from started()), or a queued one that never ran.
    void ended(Outcome outcome, const std::string& errorCode, bool wasRunning,
               std::chrono::steady_clock::time_point startedAt) const;
    void tokens(std::uint64_t input, std::uint64_t output) const;
    // A resume, counted before its first frame goes out, and the frames it replays, counted
    // before they go out: a client that has them finds them in /metrics.
    void resumed() const;
    void replayed(std::uint64_t frames) const;

  private:
    RouteSeries* route_ = nullptr;
    KeySeries* key_ = nullptr;
};

class Metrics {
  public:
    RouteSeries& route(const std::string& route);
    KeySeries& key(const std::string& route, const std::string& keyName);
    Recorder recorder(const std::string& route, const std::string& keyName) {
        return Recorder(&this->route(route), &key(route, keyName));
    }

    void reloaded(bool ok) { (ok ? reloadsOk_ : reloadsFailed_).fetch_add(1); }

    // The registry's own families, in the exposition.
    void write(Exposition& out) const;

  private:
    mutable std::mutex mutex_;  // guards the maps, not the series
    std::map<std::string, std::unique_ptr<RouteSeries>> routes_;
    std::map<std::pair<std::string, std::string>, std::unique_ptr<KeySeries>> keys_;
    std::atomic<std::uint64_t> reloadsOk_{0};
    std::atomic<std::uint64_t> reloadsFailed_{0};
};

}  // namespace agenthost::metrics
