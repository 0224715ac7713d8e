// One conversation: the unit protocol 2 is built on. It owns the sequence of frames (every
// frame of a turn gets its seq here), the queue of user messages, the running plugin request,
// the history the plugin reads, and the connections attached to it.
//
// The rule that makes resume exact: a frame gets its seq, goes to the store's writer and to
// every attached connection in one step under mutex_; a resuming connection takes the frames
// not yet durable from tail_ and joins the attachments in one step under the same mutex, then
// reads the durable ones from the store while its live frames are held back. So there is
// neither a gap nor a duplicate between replayed and live frames.
//
// Threading: client actions (submit, cancel, attach) come from session threads, plugin
// callbacks from plugin threads; all take mutex_. Calls into the plugin (start, cancel) and
// into sessions (conversationDeleted) are made without it. Lock order: a session's mutex,
// then mutex_, then a connection's I/O lock.
#pragma once

#include <Poco/Util/TimerTask.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conversation/History.h"
#include "conversation/Services.h"
#include "conversation/TurnRequest.h"
#include "core/WorkerPool.h"
#include "limits/KeyLimits.h"
#include "metrics/Metrics.h"
#include "net/Connection.h"
#include "protocol/EventKinds.h"
#include "store/ConversationStore.h"
#include "util/Utf8.h"

namespace agenthost::plugin {
class PluginInstance;
}

namespace agenthost::conversation {

// Told when the conversation a connection is on goes away under it.
class AttachmentListener {
  public:
    virtual ~AttachmentListener() = default;
    virtual void conversationDeleted() = 0;
};

// One connection's place on a conversation. Its session owns it.
class Attachment {
  public:
    Attachment(std::shared_ptr<net::Connection> connection, int protocol,
               std::weak_ptr<AttachmentListener> listener,
               protocol::EventFilter events = protocol::EventFilter::all());

    const std::uint64_t id;  // unique in the process
    const std::shared_ptr<net::Connection> connection;
    const int protocol;  // 1 or 2
    const std::weak_ptr<AttachmentListener> listener;
    const protocol::EventFilter events;  // the event kinds it gets (protocol 2 only)

  private:
    friend class Conversation;
    // Guarded by the conversation's mutex: while a replay is read from the store, live frames
    // wait here.
    bool replaying_ = false;
    std::vector<std::string> held_;
};

// What a conversation restored from the store starts from.
struct Restored {
    std::int64_t lastSeq = 0;
    int lastTurn = 0;
    std::shared_ptr<History> history;
    std::string pluginState;
};

class Conversation : public std::enable_shared_from_this<Conversation> {
  public:
    Conversation(std::string id, std::string route, std::string keyName, const Services& services,
                 std::shared_ptr<plugin::PluginInstance> instance,
                 std::optional<Restored> restored = std::nullopt);
    ~Conversation();
    Conversation(const Conversation&) = delete;
    Conversation& operator=(const Conversation&) = delete;

    const std::string& id() const { return identity_->conversationId; }
    const std::string& route() const { return identity_->route; }
    const std::string& keyName() const { return identity_->keyName; }

    // Attaches a connection. `greeting(lastSeq, running)` is sent first, so it precedes every
    // live frame. With `afterSeq`, every frame after it is replayed (with "replay":true)
    // before the live ones. `replacing` (the same connection's earlier attachment, which a
    // resume of the same conversation supersedes) leaves in the same step, so no frame goes
    // to the connection twice. False (and nothing done) when afterSeq is outside 0..lastSeq.
    bool attach(const std::shared_ptr<Attachment>& attachment, std::optional<std::int64_t> afterSeq,
                const std::function<std::string(std::int64_t lastSeq, bool running)>& greeting,
                const Attachment* replacing = nullptr);
    // The connection left. A protocol 1 connection's turns are cancelled with it, unless a
    // protocol 2 connection is still attached.
    void detach(const Attachment& attachment);

    enum class Submitted { Accepted, Busy, Gone, Limited };
    // A user message: becomes the next turn (its user frame goes out at once) and runs when
    // the turns before it are done. Busy when the queue is full; Gone when deleted; Limited
    // (with the reason in *refusal) when one of the key's limits refuses it.
    Submitted submit(const Attachment& sender, std::string text,
                     limits::Refusal* refusal = nullptr);
    // Stops the running response (the client's cancel frame); the next queued message starts.
    void cancel();
    // The running and queued turns end with an error frame (the host is stopping, the route
    // was removed); the plugin is cancelled with `reason` (AGENTHOST_CANCEL_*). With `final`,
    // no new message is taken after it.
    void end(const char* code, const std::string& message, bool final, std::uint32_t reason);
    // Deleted through the HTTP API: stops everything and tells the attached connections.
    void deleted();
    // A client's answer to an approval request (any connection on the conversation may give
    // it). False when no such approval is open: never was, answered, timed out, or its turn
    // ended.
    bool approve(const std::string& approvalId, bool accept);

    bool running() const;

  private:
    friend class TurnRequest;

    struct Pending {
        int turn = 0;
        std::string text;
        std::uint64_t sender = 0;
        bool senderIsProtocol1 = false;
        bool canAskApproval = false;  // see ConversationEvents.cpp
        std::int64_t acceptedAtMs = 0;
    };
    // User and event frames never go to protocol 1 connections; an event goes to the protocol 2
    // ones whose filter admits its kind.
    enum class Kind { User, Event, Other };
    struct TailFrame {
        std::int64_t seq;
        std::string json;
        store::Ticket ticket;
    };
    struct PacedFrame {
        std::string frame;
        int turn;
        Kind kind;
        protocol::EventKind event;  // for Kind::Event
    };
    // How a turn ended, for its record and its access line.
    // Designated initializers name what applies; the rest stays empty.
    struct TurnEnd {
        store::TurnStatus status;
        std::optional<protocol::Usage> usage{};
        std::string errorCode{};
        std::string errorMessage{};
        std::string stopReason{};
        std::string turnData{};  // the plugin's data of a completed turn
    };
    // An approval request the plugin waits on; its turn is the running one.
    struct OpenApproval {
        std::shared_ptr<TurnRequest> request;
        std::uint64_t cookie = 0;
        Poco::Util::TimerTask::Ptr timeout;
    };

    void startNext();
    // request_start (see startNext for the thread), then what a refusal means for the turn.
    void startRequest(const std::shared_ptr<TurnRequest>& request,
                      const std::shared_ptr<plugin::PluginInstance>& instance,
                      const std::shared_ptr<net::Connection>& senderConnection);
    // The route's request_timeout_s: the turn ends with `timeout` and the plugin is cancelled.
    void scheduleTimeout(const std::shared_ptr<TurnRequest>& request, std::chrono::seconds after);
    void requestTimedOut(const std::shared_ptr<TurnRequest>& request, std::chrono::seconds after);
    // `newest`: the route's instance in the newest generation (null when it was removed).
    void moveToInstanceLocked(std::shared_ptr<plugin::PluginInstance> newest);

    // From TurnRequest, on plugin threads. requestText is false when the turn was ended (the
    // text went nowhere). An empty code finishes with success.
    // Returns AGENTHOST_EMIT_OK, AGENTHOST_EMIT_SLOW_DOWN (see behindLocked) or, when the turn
    // was ended, the request's endedStatus().
    std::uint32_t requestText(TurnRequest& request, std::string_view text);
    // wait_writable (Backpressure.cpp): until the response's readers caught up, the turn ended,
    // or `timeout` (0: none) passed.
    std::uint32_t requestWaitWritable(TurnRequest& request, std::chrono::milliseconds timeout);
    // What requestWaitWritable would return at once, without waiting.
    std::uint32_t requestWritableNow(TurnRequest& request);
    void requestUsage(TurnRequest& request, std::uint64_t input, std::uint64_t output);
    void requestStopReason(TurnRequest& request, std::string_view reason);
    void requestState(TurnRequest& request, std::string_view state);
    void requestTurnData(TurnRequest& request, std::string_view data);
    void requestCacheUsage(TurnRequest& request, std::uint64_t creation, std::uint64_t read);
    // ConversationEvents.cpp: AGENTHOST_EMIT_* statuses.
    std::uint32_t requestEvent(TurnRequest& request, std::string_view kind,
                               std::string_view content, std::string_view data);
    std::uint32_t requestApproval(TurnRequest& request, std::uint64_t cookie,
                                  std::string_view action, std::string_view content,
                                  std::string_view detail);
    // Resolves an open approval once: the client's answer, or at its timeout the route's
    // approval_policy (approvalTimedOut).
    bool decideApproval(const std::string& approvalId, bool accept, bool timedOut);
    void approvalTimedOut(const std::string& approvalId);
    // The turn ended: its open approvals are never answered (the plugin is not told).
    void dropApprovalsLocked();
    void flushThinkingLocked(int turn);
    void requestFinished(TurnRequest& request, std::string_view code, std::string_view message);

    // Ends the running turn and/or the queued ones with a terminal frame; returns the running
    // request, which the caller cancels in the plugin (with `reason`, AGENTHOST_CANCEL_*) once
    // the lock is released.
    std::shared_ptr<TurnRequest> endCurrentLocked(store::TurnStatus status, const char* code,
                                                  const std::string& message, std::uint32_t reason);
    void endPendingLocked(const Pending& pending, const char* code, const std::string& message);

    // Paced, when pacing is on. `event` names the kind of an event frame.
    void emitLocked(std::string frame, int turn, Kind kind = Kind::Other,
                    protocol::EventKind event = protocol::EventKind::Status);
    // Seq, store, deliver.
    void publishLocked(std::string frame, int turn, Kind kind,
                       protocol::EventKind event = protocol::EventKind::Status);
    void deliverLocked(Attachment& attachment, const std::string& text);
    // Whether a replayed stored frame goes to `attachment` (its event filter).
    static bool replays(const Attachment& attachment, std::string_view storedFrame);
    void drainPacedLocked();
    // Backpressure.cpp. What an accepted emit returns: SLOW_DOWN when the request's plugin
    // honours it and the response is behind.
    std::uint32_t acceptedLocked(const TurnRequest& request) const;
    // The response's unsent bytes: paced frames plus the most any attached connection has
    // waiting in its outbound buffer.
    std::size_t backlogLocked() const;
    // Behind: the backlog passed max_response_buffer_bytes, or (with a store) frames not yet
    // durable passed kUncommittedFactor times it. Caught up: both are down to half of that.
    bool behindLocked() const;
    bool caughtUpLocked() const;
    // What wait_writable returns now: the ended status, OK when caught up, else SLOW_DOWN.
    std::uint32_t writableLocked(const TurnRequest& request);
    // With a store, what may wait for its writer before the plugin is slowed (unstored_);
    // without one, what the tail keeps at most.
    std::size_t maxTailBytesLocked() const;
    // A write of about `bytes` went to the store's queue (frames, and turn records, which carry
    // the answer so far).
    void noteUnstoredLocked(store::Ticket ticket, std::size_t bytes);
    void pushTailLocked(TailFrame frame);
    void popTailLocked();
    void trimTailLocked();
    bool reserveSeqsLocked();
    // The record of a running turn: its answer so far. `withNextFrame`: held back for the next
    // frame published, so that both go to the store in one write.
    void saveRunningTurnLocked(int turn, const std::string& user, const std::string& assistant,
                               const std::optional<protocol::Usage>& usage,
                               std::int64_t startedAtMs, bool withNextFrame);
    // The record of an ended turn, held back for the frame that says so; logs its access line.
    void saveEndedTurnLocked(int turn, const std::string& user, const std::string& assistant,
                             std::int64_t startedAtMs, TurnEnd end);
    // A record saved withNextFrame that its frame will not carry (the frame waits for pacing).
    void saveHeldTurnLocked();
    // Queues `record` to the store on its own.
    void storeTurnLocked(store::TurnRecord record);
    // `turnData`: the plugin's data for a completed turn.
    void commitHistoryLocked(const std::string& user, const std::string& assistant, bool complete,
                             std::string turnData = "");
    void chunkSentLocked(TurnRequest& request);
    void recordEndLocked(const TurnRequest& request, metrics::Outcome outcome,
                         const std::string& errorCode);
    void releaseIfIdleLocked(std::shared_ptr<Conversation>& out);
    void releaseResponseSlotLocked();
    bool runningLocked() const { return current_ != nullptr || !pending_.empty(); }

    const std::shared_ptr<const RequestIdentity> identity_;
    const store::ConversationRef storeRef_;  // the id as the store's writes carry it
    // A turn record saved withNextFrame: the next published frame goes to the store with it, in
    // one write (a turn's start with its user frame, its end with its terminal frame).
    std::optional<store::TurnRecord> recordForNextFrame_;
    const Services services_;
    const std::shared_ptr<core::SerialQueue> queue_;
    const metrics::Recorder metrics_;  // records nothing when metrics are off

    mutable std::mutex mutex_;  // guards everything below
    std::shared_ptr<plugin::PluginInstance> instance_;
    std::shared_ptr<const session::Runtime> runtime_;
    std::int64_t lastSeq_ = 0;
    std::int64_t seqReserved_ = 0;  // stored in the turn records (see reserveSeqsLocked)
    int lastTurn_ = 0;
    bool stored_ = false;   // the store has it (it has a turn)
    bool deleted_ = false;  // deleted: nothing more is stored or sent
    bool stopping_ = false;
    // Counted as one of the key's running responses (max_concurrent_requests) from the message
    // that made it busy until it is idle again.
    bool holdsResponseSlot_ = false;
    std::vector<std::shared_ptr<Attachment>> attachments_;
    std::deque<Pending> pending_;
    std::shared_ptr<TurnRequest> current_;
    // Held while a turn runs or waits, so the work goes on with nobody attached.
    std::shared_ptr<Conversation> keepAlive_;
    util::Utf8Chunker chunker_{100};
    util::Utf8Chunker thinkingChunker_{100};         // the running turn's thinking events
    std::map<std::string, OpenApproval> approvals_;  // by approval id
    std::shared_ptr<History> history_;
    std::string pluginState_;
    std::deque<TailFrame> tail_;  // frames the store has not made durable yet
    std::size_t tailBytes_ = 0;   // their JSON's size
    // Frames queued for the store and not yet committed (the tail may have let go of some):
    // what backpressure counts as the store's backlog.
    struct Unstored {
        store::Ticket ticket;
        std::size_t bytes;
    };
    std::deque<Unstored> unstored_;
    std::size_t unstoredBytes_ = 0;
    std::deque<PacedFrame> paced_;  // frames waiting for chunk_delay_ms
    std::size_t pacedBytes_ = 0;    // their size
    // Notified when the running turn ends, so a plugin in wait_writable stops waiting at once;
    // the readers catching up is polled (Backpressure.cpp).
    mutable std::condition_variable writable_;
    bool pacingScheduled_ = false;
    net::Clock::time_point nextPacedSend_{};
    // When the running turn's first text went out, for its access line (log/AccessLog.h).
    struct FirstChunk {
        int turn = 0;
        std::int64_t atMs = 0;
    } firstChunk_;
};

}  // namespace agenthost::conversation
