// One running `codex app-server` child and the JSON-RPC 2.0 conversation with it: one JSON
// object per line on its stdin and stdout. A reader thread owns the child (it reads, reaps and
// stops it); callers send requests and wait for the replies matched by id, and the
// notifications and server requests of a Codex thread go to whoever subscribed to that thread.
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <agenthost/plugin.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "ChildProcess.h"
#include "CodexJsonEvents.h"
#include "StderrTail.h"

namespace codex_bridgehub {

using Poco::JSON::Object;

// JSON-RPC error codes this plugin reads or sends.
inline constexpr int kRpcOverloaded = -32001;  // Codex: busy, try again later
inline constexpr int kRpcMethodNotFound = -32601;
inline constexpr int kRpcClosed = -1;   // (ours) the child went away before it answered
inline constexpr int kRpcTimeout = -2;  // (ours) no answer in time

struct RpcReply {
    Object::Ptr result;            // on success
    std::optional<int> errorCode;  // on failure
    std::string errorMessage;
    bool ok() const { return !errorCode.has_value(); }
};

// Receives what the app-server says about one Codex thread. Called on the reader thread: must
// not block.
class ThreadListener {
  public:
    virtual ~ThreadListener() = default;
    // A notification (`method`, `params`) or a server request (also `id`), whole.
    virtual void onMessage(const Object::Ptr& message) = 0;
    // The child went away; `why` says how ("exit status 1", the end of its stderr).
    virtual void onClosed(const std::string& why) = 0;
};

class AppServerConnection {
  public:
    // Starts the child (throws SpawnError). No handshake yet: see AppServer.
    AppServerConnection(const SpawnOptions& options, std::chrono::milliseconds killGrace,
                        agenthost::Logger log);
    // Stops the child cleanly: its stdin is closed, then the group is ended after a short wait.
    ~AppServerConnection();
    AppServerConnection(const AppServerConnection&) = delete;
    AppServerConnection& operator=(const AppServerConnection&) = delete;

    // Sends a request and waits for its reply, at most `timeout`.
    RpcReply call(const std::string& method, const Object::Ptr& params,
                  std::chrono::milliseconds timeout);
    // Sends a request whose reply nobody waits for.
    void post(const std::string& method, const Object::Ptr& params);
    void notify(const std::string& method);
    // Answers a server request.
    void reply(const Poco::Dynamic::Var& id, const Object::Ptr& result);
    void replyError(const Poco::Dynamic::Var& id, int code, const std::string& message);

    void subscribe(const std::string& threadId, std::shared_ptr<ThreadListener> listener);
    // Removes `listener` (and nothing a later turn of the thread subscribed).
    void unsubscribe(const std::string& threadId, const ThreadListener* listener);

    // Threads this child has started or resumed (a turn on them needs no thread/resume).
    bool hasLoaded(const std::string& threadId) const;
    void markLoaded(const std::string& threadId);

    // The thread's token totals as Codex last reported them on this child, if it did.
    std::optional<std::pair<std::uint64_t, std::uint64_t>> usageTotal(
        const std::string& threadId) const;
    void setUsageTotal(const std::string& threadId, std::pair<std::uint64_t, std::uint64_t> total);

    bool closed() const;
    std::string closeReason() const;  // why it closed, once closed()
    // Ends the child now (a turn that ignored turn/interrupt); every subscriber hears of it.
    void kill();

  private:
    void readLoop();
    bool pumpOnce();
    void onLine(std::string_view line);
    void onReply(const Object::Ptr& message);
    void deliver(const Object::Ptr& message);
    void finish();
    void writeLine(const std::string& line);
    std::int64_t nextId() { return ++lastId_; }
    std::string request(std::int64_t id, const std::string& method, const Object::Ptr& params);

    ChildProcess child_;
    const std::chrono::milliseconds killGrace_;
    agenthost::Logger log_;
    std::atomic<std::int64_t> lastId_{0};
    std::atomic<bool> stopping_{false};
    std::atomic<bool> killing_{false};
    LineBuffer lines_;   // reader thread only
    StderrTail stderr_;  // reader thread only

    mutable std::mutex writeMutex_;  // one line at a time on the child's stdin

    mutable std::mutex mutex_;  // everything below
    std::condition_variable replied_;
    std::map<std::int64_t, std::optional<RpcReply>> pending_;  // nullopt: still waiting
    std::map<std::string, std::shared_ptr<ThreadListener>> listeners_;
    std::set<std::string> loaded_;
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> totals_;
    bool closed_ = false;
    std::string closeReason_;

    std::thread reader_;  // last: started when everything else exists
};

}  // namespace codex_bridgehub
