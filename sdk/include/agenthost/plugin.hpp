// agenthost plugin SDK: a small header-only C++ layer over plugin_abi.h (ABI 2).
//
// A plugin is a class derived from agenthost::Plugin plus one AGENTHOST_PLUGIN(...) line:
//
//     class Echo : public agenthost::Plugin {
//     public:
//         explicit Echo(const agenthost::Context&) {}
//         void respond(const agenthost::Request& request, agenthost::Response& response) override {
//             response.text(request.message);
//         }
//     };
//     AGENTHOST_PLUGIN(Echo, "echo", "1.0.0")
//
// Two ways to answer:
//   - Blocking: override respond(). The SDK runs it on threads it owns (never the host's), so it
//     may block on I/O. Poll response.cancelled() (or look at what text() returns) in long
//     loops. Returning completes the response unless it was already finished; an exception
//     fails it with code "plugin_error".
//   - Asynchronous: override start(), keep the shared Response and answer from your own threads.
//     start() must return promptly. Register response->onCancel() to abort upstream work.
// Either way the response is finished exactly once: by complete()/fail(), or by the SDK when
// the last reference to an unfinished Response goes away (as an error, so a bug never hangs a
// client).
//
// Besides text, a Response carries what the agent did (event(), thinking()), asks the client
// for permission (askApproval()), and logs lines tied to the request (log()). Context::metrics
// defines counters and histograms that appear in the host's /metrics.
//
// start() runs on a host worker thread. A plugin whose start() never blocks (it answers at once
// or hands the request to its own thread) says so with
//     static constexpr bool nonBlockingStart = true;
// and the host may then call it on its event loop, saving a thread hand-off per message.
//
// The SDK needs nothing newer than host ABI 2.0 (the table's min_host_minor is 0); on a 2.0 host
// what 2.1 added is simply absent: Turn::data, Response::turnData and cacheUsage do nothing,
// and nothing waits. On a 2.1 host it honours backpressure: text(), thinking() and event() wait
// (on the plugin's thread, never a host thread) while the client is more than the host's
// max_response_buffer_bytes behind, so a blocking respond() runs at the pace of its reader.
//
// Nothing in this header throws across the C boundary, and it keeps no function-local statics
// (those become STB_GNU_UNIQUE symbols, which stop the library from ever being unloaded).
#ifndef AGENTHOST_PLUGIN_HPP
#define AGENTHOST_PLUGIN_HPP

#include <agenthost/plugin_abi.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace agenthost {

inline std::string toString(agenthost_str s) {
    return s.data ? std::string(s.data, s.size) : "";
}
inline std::string_view view(agenthost_str s) {
    return s.data ? std::string_view(s.data, s.size) : std::string_view();
}

// The route's [plugin.NAME] settings, env:/file: already resolved by the host.
class Settings {
  public:
    Settings() = default;
    explicit Settings(std::map<std::string, std::string> values) : values_(std::move(values)) {}

    bool has(const std::string& key) const { return values_.count(key) != 0; }
    std::string get(const std::string& key, const std::string& fallback = "") const {
        auto it = values_.find(key);
        return it == values_.end() ? fallback : it->second;
    }
    long long getInt(const std::string& key, long long fallback) const {
        return getNumber<long long>(
            key, fallback, "an integer",
            [](const std::string& t, std::size_t* n) { return std::stoll(t, n); });
    }
    double getDouble(const std::string& key, double fallback) const {
        return getNumber<double>(
            key, fallback, "a number",
            [](const std::string& t, std::size_t* n) { return std::stod(t, n); });
    }
    bool getBool(const std::string& key, bool fallback) const {
        auto it = values_.find(key);
        if (it == values_.end()) return fallback;
        const std::string& v = it->second;
        if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
        if (v == "false" || v == "no" || v == "off" || v == "0") return false;
        throw std::invalid_argument(key + " must be true or false, got \"" + v + "\"");
    }
    const std::map<std::string, std::string>& all() const { return values_; }

  private:
    // The whole value must parse; "12abc" is an error, not 12.
    template <class T, class Parse>
    T getNumber(const std::string& key, T fallback, const char* what, Parse parse) const {
        auto it = values_.find(key);
        if (it == values_.end()) return fallback;
        std::size_t used = 0;
        T value{};
        try {
            value = parse(it->second, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != it->second.size())
            throw std::invalid_argument(key + " must be " + what + ", got \"" + it->second + "\"");
        return value;
    }

    std::map<std::string, std::string> values_;
};

inline agenthost_str str(std::string_view s) {
    return {s.data(), s.size()};
}

// What the host answered to something the plugin sent (AGENTHOST_EMIT_*).
enum class Emit : std::uint32_t {
    Ok = AGENTHOST_EMIT_OK,
    Cancelled = AGENTHOST_EMIT_CANCELLED,     // stop working; the SDK still finishes once
    ClientGone = AGENTHOST_EMIT_CLIENT_GONE,  // a protocol 1 client left: nobody reads on
    Stopping = AGENTHOST_EMIT_STOPPING,       // the host is stopping or the route went away
    Invalid = AGENTHOST_EMIT_INVALID,         // refused: bad kind, data not a JSON object, ...
    Unsupported = AGENTHOST_EMIT_UNSUPPORTED  // askApproval: no client can answer
};

// Why the host cancelled a request (AGENTHOST_CANCEL_*).
enum class CancelReason : std::uint32_t {
    Client = AGENTHOST_CANCEL_CLIENT,
    Disconnect = AGENTHOST_CANCEL_DISCONNECT,
    Shutdown = AGENTHOST_CANCEL_SHUTDOWN,
    Drain = AGENTHOST_CANCEL_DRAIN,
    Timeout = AGENTHOST_CANCEL_TIMEOUT,
    Deleted = AGENTHOST_CANCEL_DELETED
};

// A client's answer to askApproval().
enum class Decision { Accept, Decline };

namespace detail {

inline void logTo(const agenthost_host_api* host, agenthost_instance_host_ptr instance,
                  std::uint32_t level, std::string_view message) {
    if (host && host->log && instance) host->log(instance, level, str(message));
}

}  // namespace detail

// Writes to the host's log, tagged with the route. Cheap to copy; valid while the instance is.
class Logger {
  public:
    Logger() = default;
    Logger(const agenthost_host_api* host, agenthost_instance_host_ptr instance)
        : host_(host), instance_(instance) {}
    void debug(std::string_view m) const {
        detail::logTo(host_, instance_, AGENTHOST_LOG_DEBUG, m);
    }
    void info(std::string_view m) const { detail::logTo(host_, instance_, AGENTHOST_LOG_INFO, m); }
    void warning(std::string_view m) const {
        detail::logTo(host_, instance_, AGENTHOST_LOG_WARNING, m);
    }
    void error(std::string_view m) const {
        detail::logTo(host_, instance_, AGENTHOST_LOG_ERROR, m);
    }

  private:
    const agenthost_host_api* host_ = nullptr;
    agenthost_instance_host_ptr instance_ = nullptr;
};

// One metric the plugin defined (see Metrics). Recording is cheap; a metric the host refused
// (bad name) records nothing.
class Metric {
  public:
    Metric() = default;
    Metric(const agenthost_host_api* host, agenthost_instance_host_ptr instance, std::uint32_t id)
        : host_(host), instance_(instance), id_(id) {}
    bool defined() const { return id_ != 0; }

  protected:
    void record(double value) const {
        if (id_ != 0) host_->metric_record(instance_, id_, value);
    }

  private:
    const agenthost_host_api* host_ = nullptr;
    agenthost_instance_host_ptr instance_ = nullptr;
    std::uint32_t id_ = 0;
};

class Counter : public Metric {
  public:
    using Metric::Metric;
    void add(double value = 1) const { record(value); }
};

class Histogram : public Metric {
  public:
    using Metric::Metric;
    void observe(double value) const { record(value); }
};

// Defines the instance's metrics: agenthost_plugin_<name>{route="..."} in the host's /metrics.
// `name` is [a-z_][a-z0-9_]*; define them in the constructor and keep the handles.
class Metrics {
  public:
    Metrics() = default;
    Metrics(const agenthost_host_api* host, agenthost_instance_host_ptr instance)
        : host_(host), instance_(instance) {}
    Counter counter(std::string_view name, std::string_view help) const {
        return Counter(host_, instance_, define(AGENTHOST_METRIC_COUNTER, name, help));
    }
    Histogram histogram(std::string_view name, std::string_view help) const {
        return Histogram(host_, instance_, define(AGENTHOST_METRIC_HISTOGRAM, name, help));
    }

  private:
    std::uint32_t define(std::uint32_t kind, std::string_view name, std::string_view help) const {
        if (!host_ || !host_->metric_define || !instance_) return 0;
        return host_->metric_define(instance_, kind, str(name), str(help));
    }
    const agenthost_host_api* host_ = nullptr;
    agenthost_instance_host_ptr instance_ = nullptr;
};

// What a plugin's constructor receives.
struct Context {
    std::string route;
    Settings settings;
    Logger log;
    Metrics metrics;
};

// One earlier turn of the conversation: views into the host's copy, valid until the response
// is finished (copy what you keep longer). Not copied per request, so long chats stay cheap.
struct Turn {
    std::string_view role;  // "user" or "assistant"
    std::string_view content;
    std::string_view data{};  // what Response::turnData() stored with it; empty if nothing
};

// The earlier turns, oldest first: a view of the host's arrays, made in constant time however
// long the chat is (the host keeps up to 2 x history_max_turns, 400 by default, and a vector of
// Turn built for every request cost echo about a tenth of its CPU). Turns are made as they are
// read. Valid as long as what it views: the host's arrays until the response is finished; a
// vector of Turn (a plugin's own, or a test's) while that lives.
class History {
  public:
    History() = default;
    History(const agenthost_turn* turns, const agenthost_str* data, std::size_t count)
        : raw_(turns), data_(data), count_(count) {}
    History(const std::vector<Turn>& turns) : spans_(turns.data()), count_(turns.size()) {}

    std::size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    Turn operator[](std::size_t i) const {
        if (spans_ != nullptr) return spans_[i];
        return {view(raw_[i].role), view(raw_[i].content),
                data_ != nullptr ? view(data_[i]) : std::string_view()};
    }
    Turn front() const { return (*this)[0]; }
    Turn back() const { return (*this)[count_ - 1]; }

    class const_iterator {
      public:
        using iterator_category = std::input_iterator_tag;
        using value_type = Turn;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = Turn;
        const_iterator(const History* history, std::size_t at) : history_(history), at_(at) {}
        Turn operator*() const { return (*history_)[at_]; }
        const_iterator& operator++() {
            ++at_;
            return *this;
        }
        const_iterator operator++(int) {
            const_iterator before = *this;
            ++at_;
            return before;
        }
        bool operator==(const const_iterator& other) const { return at_ == other.at_; }
        bool operator!=(const const_iterator& other) const { return at_ != other.at_; }

      private:
        const History* history_;
        std::size_t at_;
    };
    const_iterator begin() const { return {this, 0}; }
    const_iterator end() const { return {this, count_}; }

  private:
    const Turn* spans_ = nullptr;          // a vector's Turns, or
    const agenthost_turn* raw_ = nullptr;  // the host's arrays
    const agenthost_str* data_ = nullptr;  // history_turn_data (ABI 2.1), or none
    std::size_t count_ = 0;
};

// One client message and what the host knows about its conversation: owned copies, but for the
// history (a view, see History).
struct Request {
    std::uint64_t id = 0;
    std::string route;
    std::string conversationId;  // stable across reconnects and restarts
    int turn = 0;                // the turn's number in the conversation, from 1
    std::string keyName;
    std::string message;
    History history;                       // earlier turns, oldest first (a view, see History)
    std::string sessionState;              // what the plugin stored last time, or empty
    std::chrono::milliseconds timeout{0};  // the host cancels after this; 0: no deadline
    bool canAskApproval = false;           // a protocol 2 client can answer askApproval()
};

struct Health {
    std::uint32_t status = AGENTHOST_HEALTH_OK;
    std::string detail;

    static Health ok(std::string detail = "") { return {AGENTHOST_HEALTH_OK, std::move(detail)}; }
    static Health degraded(std::string detail) {
        return {AGENTHOST_HEALTH_DEGRADED, std::move(detail)};
    }
    static Health error(std::string detail) { return {AGENTHOST_HEALTH_ERROR, std::move(detail)}; }
};

// Log lines tied to one request: the host adds route, request id, conversation and turn.
// Lines written after the response finished are dropped.
class RequestLog {
  public:
    explicit RequestLog(std::function<void(std::uint32_t, std::string_view)> write)
        : write_(std::move(write)) {}
    void debug(std::string_view m) const { write_(AGENTHOST_LOG_DEBUG, m); }
    void info(std::string_view m) const { write_(AGENTHOST_LOG_INFO, m); }
    void warning(std::string_view m) const { write_(AGENTHOST_LOG_WARNING, m); }
    void error(std::string_view m) const { write_(AGENTHOST_LOG_ERROR, m); }

  private:
    std::function<void(std::uint32_t, std::string_view)> write_;
};

// The answer to one Request. Thread-safe; finished exactly once.
//
// Every call that reaches the host is made under mutex_, which is what makes "nothing after
// finish" hold: the host's request handle is invalid once finish returns. The host never calls
// into the plugin from inside these calls, so holding mutex_ across them cannot deadlock.
class Response {
  public:
    Response(const agenthost_host_api* host, agenthost_request_host_ptr handle)
        : host_(host), handle_(handle), log_([this](std::uint32_t level, std::string_view m) {
              std::lock_guard<std::mutex> lock(mutex_);
              if (!finished_) host_->request_log(handle_, level, str(m));
          }) {}
    Response(const Response&) = delete;
    Response& operator=(const Response&) = delete;
    ~Response() { fail("plugin_error", "the plugin ended the request without an answer"); }

    // Sends text to the client now.
    Emit text(std::string_view piece) {
        if (piece.empty()) return current();
        return send([&] { return host_->emit_text(handle_, str(piece)); });
    }
    // Streams reasoning text, like text() but as `thinking` events.
    Emit thinking(std::string_view piece) { return event("thinking", piece); }
    // Something the agent did besides writing: kind tool_call, tool_result, command,
    // file_change or status; `content` one line a person reads; `dataJson` a JSON object.
    Emit event(std::string_view kind, std::string_view content, std::string_view dataJson = "{}") {
        return send(
            [&] { return host_->emit_event(handle_, str(kind), str(content), str(dataJson)); });
    }

    // Asks the client whether the agent may act ("command" or "file_change"). Emit::Ok: the
    // question went out and `decided` runs once, on a host thread (must not block), with the
    // client's answer or Decline at the route's approval timeout; it does not run when the
    // request is cancelled or finished first. Emit::Unsupported: no client can answer (a
    // protocol 1 request): apply your configured policy.
    Emit askApproval(std::string_view action, std::string_view question,
                     std::string_view detailJson, std::function<void(Decision)> decided) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (finished_) return Emit::Invalid;
        const std::uint64_t cookie = ++lastCookie_;
        approvals_[cookie] = std::move(decided);
        const auto status = static_cast<Emit>(
            host_->request_approval(handle_, cookie, str(action), str(question), str(detailJson)));
        if (status != Emit::Ok) approvals_.erase(cookie);
        return status;
    }

    void usage(std::uint64_t inputTokens, std::uint64_t outputTokens) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!finished_) host_->report_usage(handle_, inputTokens, outputTokens);
    }
    void stopReason(std::string_view reason) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!finished_) host_->set_stop_reason(handle_, str(reason));
    }
    void sessionState(std::string_view state) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!finished_) host_->set_session_state(handle_, str(state));
    }
    // Opaque data kept with this answer's turn and handed back as Turn::data in later
    // requests (at most 1 MiB; kept only if the response completes). Returns false when the
    // host is older than ABI 2.1 and cannot keep it.
    bool turnData(std::string_view data) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!hostHasTurnData()) return false;
        if (!finished_) host_->set_turn_data(handle_, str(data));
        return true;
    }
    // Prompt-cache tokens for the complete frame (ignored by hosts older than ABI 2.1).
    void cacheUsage(std::uint64_t creationTokens, std::uint64_t readTokens) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!finished_ && hostHasCacheUsage())
            host_->report_cache_usage(handle_, creationTokens, readTokens);
    }
    void complete() { finish("", ""); }
    void fail(std::string_view code, std::string_view message) {
        finish(code.empty() ? std::string_view("plugin_error") : code, message);
    }

    bool finished() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return finished_;
    }
    bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
    std::optional<CancelReason> cancelReason() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return reason_;
    }
    const RequestLog& log() const { return log_; }

    // Runs `onCancel` once when the host cancels this request (at once if it already did).
    // It runs on a host thread: it must not block; just signal your worker to stop.
    void onCancel(std::function<void()> onCancel) {
        this->onCancel([onCancel = std::move(onCancel)](CancelReason) { onCancel(); });
    }
    void onCancel(std::function<void(CancelReason)> onCancel) {
        CancelReason reason;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!reason_) {
                onCancel_ = std::move(onCancel);
                return;
            }
            reason = *reason_;
        }
        onCancel(reason);
    }

    // Called by the SDK when the host cancels (request_cancel).
    void cancel(CancelReason reason) {
        std::function<void(CancelReason)> callback;
        Approvals unanswered;  // dropped after the lock: they may hold the last reference to us
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (reason_) return;
            reason_ = reason;
            cancelled_.store(true, std::memory_order_release);
            callback = std::move(onCancel_);
            unanswered.swap(approvals_);  // a cancelled request's questions get no answer
        }
        if (callback) callback(reason);
    }

    // Called by the SDK with the client's answer (approval_decided).
    void decide(std::uint64_t cookie, Decision decision) {
        std::function<void(Decision)> decided;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto it = approvals_.find(cookie);
            if (finished_ || it == approvals_.end()) return;
            decided = std::move(it->second);
            approvals_.erase(it);
        }
        if (decided) decided(decision);
    }

  private:
    // An emit the host accepted but answered with SLOW_DOWN (its client is behind) waits here
    // for the client to catch up: the plugin's thread is held, so whatever feeds it (a pipe, a
    // socket) pushes back. The wait goes in slices with mutex_ let go between them, so a cancel,
    // a log line or a finish from another thread gets in; a cancel ends it.
    template <class Call>
    Emit send(Call call) {
        std::unique_lock<std::mutex> lock(mutex_);
        if (finished_) return Emit::Invalid;
        std::uint32_t status = call();
        while (status == AGENTHOST_EMIT_SLOW_DOWN) {
            if (!hostCanWait()) return Emit::Ok;
            status = host_->wait_writable(handle_, kWaitSliceMs);
            if (status != AGENTHOST_EMIT_SLOW_DOWN) break;
            lock.unlock();
            std::this_thread::yield();
            lock.lock();
            if (finished_) return Emit::Ok;  // the text was taken; someone finished meanwhile
            if (cancelled()) return Emit::Cancelled;
        }
        return static_cast<Emit>(status);
    }
    bool hostCanWait() const {
        return host_->struct_size >=
                   offsetof(agenthost_host_api, wait_writable) + sizeof host_->wait_writable &&
               host_->wait_writable != nullptr;
    }
    static constexpr std::uint64_t kWaitSliceMs = 50;
    Emit current() const { return cancelled() ? Emit::Cancelled : Emit::Ok; }

    // Callbacks added in ABI 2.1: a 2.0 host's table ends before them.
    bool hostHasTurnData() const {
        return host_->struct_size >=
                   offsetof(agenthost_host_api, set_turn_data) + sizeof host_->set_turn_data &&
               host_->set_turn_data != nullptr;
    }
    bool hostHasCacheUsage() const {
        return host_->struct_size >= offsetof(agenthost_host_api, report_cache_usage) +
                                         sizeof host_->report_cache_usage &&
               host_->report_cache_usage != nullptr;
    }

    void finish(std::string_view code, std::string_view message) {
        Approvals unanswered;  // dropped after the lock, as in cancel()
        std::lock_guard<std::mutex> lock(mutex_);
        if (finished_) return;
        finished_ = true;
        unanswered.swap(approvals_);
        host_->finish(handle_, str(code), str(message));
    }

    const agenthost_host_api* host_;
    agenthost_request_host_ptr handle_;  // invalid once finished_
    RequestLog log_;
    mutable std::mutex mutex_;
    bool finished_ = false;
    std::atomic<bool> cancelled_{false};
    std::optional<CancelReason> reason_;
    std::function<void(CancelReason)> onCancel_;
    std::uint64_t lastCookie_ = 0;
    using Approvals = std::unordered_map<std::uint64_t, std::function<void(Decision)>>;
    Approvals approvals_;  // asked and not yet answered, by cookie
};

namespace detail {

// Runs blocking respond() calls on threads the plugin owns: an idle thread is reused, a new
// one is started when all are busy (up to kMaxThreads, then jobs wait in order).
class BlockingRunner {
  public:
    static constexpr std::size_t kMaxThreads = 64;

    ~BlockingRunner() { stop(); }

    void submit(std::function<void()> job) {
        std::lock_guard<std::mutex> lock(mutex_);
        jobs_.push_back(std::move(job));
        if (jobs_.size() > idle_ && threads_.size() < kMaxThreads)
            threads_.emplace_back([this] { work(); });
        else
            wake_.notify_one();
    }

    // Finishes the queued jobs and joins every thread.
    void stop() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        for (auto& t : threads_)
            if (t.joinable()) t.join();
        threads_.clear();
    }

  private:
    void work() {
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
            while (jobs_.empty() && !stopping_) {
                ++idle_;
                wake_.wait(lock);
                --idle_;
            }
            if (jobs_.empty()) return;
            auto job = std::move(jobs_.front());
            jobs_.pop_front();
            lock.unlock();
            job();
            job = nullptr;  // release what it holds (a Response) before taking the lock again
            lock.lock();
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> jobs_;
    std::vector<std::thread> threads_;
    std::size_t idle_ = 0;
    bool stopping_ = false;
};

class Instance;

}  // namespace detail

class Plugin {
  public:
    virtual ~Plugin() = default;

    // See the file comment; hide it with `true` in a plugin whose start() never blocks.
    static constexpr bool nonBlockingStart = false;

    // Reported at /api/health and /api/status. Called from host threads; keep it cheap.
    virtual Health health() const { return Health::ok(); }

    // Asynchronous entry point. The default runs respond() on an SDK thread.
    virtual void start(Request request, std::shared_ptr<Response> response) {
        runBlocking([this, request = std::move(request),
                     response]() mutable { respond(request, *response); },
                    response);
    }

    // Blocking entry point; see the file comment.
    virtual void respond(const Request& /*request*/, Response& response) {
        response.fail("plugin_error", "this plugin implements neither start() nor respond()");
    }

  protected:
    // Runs `job` on an SDK thread and finishes `response` when it returns or throws.
    void runBlocking(std::function<void()> job, std::shared_ptr<Response> response) {
        runner_->submit([job = std::move(job), response = std::move(response)] {
            try {
                job();
                response->complete();
            } catch (const std::exception& e) {
                response->fail("plugin_error", e.what());
            } catch (...) {
                response->fail("plugin_error", "unknown exception in plugin");
            }
        });
    }

  private:
    friend class detail::Instance;
    detail::BlockingRunner* runner_ = nullptr;
};

namespace detail {

// Writes `text` into a host buffer, cut at a UTF-8 boundary when it does not fit.
inline void copyTo(agenthost_buffer* out, std::string_view text) {
    if (!out || !out->data) return;
    std::size_t n = text.size() < out->capacity ? text.size() : out->capacity;
    while (n > 0 && n < text.size() && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    std::memcpy(out->data, text.data(), n);
    out->size = n;
}

// The plugin's per-request context (agenthost_request_plugin_ptr): how a cancel or an approval
// answer from the host finds its Response. Weak, so that a Response the plugin drops unfinished
// is destroyed (and fails the request) as in any other place; freed by request_release.
struct RequestSlot {
    std::weak_ptr<Response> response;
};

// What the plugin's instance pointer really points to.
class Instance {
  public:
    Instance(const agenthost_host_api* host, std::unique_ptr<Plugin> plugin,
             std::unique_ptr<BlockingRunner> runner)
        : host_(host), runner_(std::move(runner)), plugin_(std::move(plugin)) {
        plugin_->runner_ = runner_.get();
    }

    // Order matters: cancel what runs, let blocking jobs return, destroy the plugin (which
    // joins its own threads), then fail whatever a buggy plugin left unfinished, and free the
    // contexts the host will no longer release.
    ~Instance() {
        for (auto& response : responses()) response->cancel(CancelReason::Shutdown);
        runner_->stop();
        plugin_.reset();
        for (auto& response : responses())
            response->fail("plugin_unavailable", "the plugin was shut down");
        std::lock_guard<std::mutex> lock(mutex_);
        for (RequestSlot* slot : slots_) delete slot;
        slots_.clear();
    }

    std::uint32_t start(const agenthost_request* raw, agenthost_request_host_ptr handle,
                        agenthost_request_plugin_ptr* context) {
        auto response = std::make_shared<Response>(host_, handle);
        auto slot = std::make_unique<RequestSlot>(RequestSlot{response});
        {
            std::lock_guard<std::mutex> lock(mutex_);
            slots_.insert(slot.get());
        }
        *context = slot.release();
        try {
            plugin_->start(toRequest(*raw), response);
        } catch (const std::exception& e) {
            response->fail("plugin_error", e.what());
        } catch (...) {
            response->fail("plugin_error", "unknown exception in plugin");
        }
        return AGENTHOST_START_ACCEPTED;
    }

    static void cancel(agenthost_request_plugin_ptr context, std::uint32_t reason) {
        if (auto response = static_cast<RequestSlot*>(context)->response.lock())
            response->cancel(static_cast<CancelReason>(reason));
    }

    static void decide(agenthost_request_plugin_ptr context, std::uint64_t cookie,
                       std::uint32_t decision) {
        if (auto response = static_cast<RequestSlot*>(context)->response.lock())
            response->decide(cookie, decision == AGENTHOST_APPROVAL_ACCEPT ? Decision::Accept
                                                                           : Decision::Decline);
    }

    void release(agenthost_request_plugin_ptr context) {
        auto* slot = static_cast<RequestSlot*>(context);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            slots_.erase(slot);
        }
        delete slot;
    }

    std::uint32_t health(agenthost_buffer* detail) const {
        Health h = plugin_->health();
        copyTo(detail, h.detail);
        return h.status;
    }

  private:
    std::vector<std::shared_ptr<Response>> responses() {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<std::shared_ptr<Response>> out;
        for (RequestSlot* slot : slots_)
            if (auto r = slot->response.lock()) out.push_back(std::move(r));
        return out;
    }

    static Request toRequest(const agenthost_request& raw) {
        Request r;
        r.id = raw.request_id;
        r.route = toString(raw.route);
        r.conversationId = toString(raw.conversation_id);
        r.turn = static_cast<int>(raw.turn);
        r.keyName = toString(raw.key_name);
        r.message = toString(raw.message);
        r.sessionState = toString(raw.session_state);
        r.timeout = std::chrono::milliseconds(raw.timeout_ms);
        r.canAskApproval = (raw.flags & AGENTHOST_REQUEST_CAN_ASK_APPROVAL) != 0;
        // history_turn_data came with ABI 2.1: a 2.0 host's request ends before it.
        const agenthost_str* data =
            raw.struct_size >=
                    offsetof(agenthost_request, history_turn_data) + sizeof raw.history_turn_data
                ? raw.history_turn_data
                : nullptr;
        r.history = History(raw.history, data, raw.history_count);
        return r;
    }

    const agenthost_host_api* host_;
    std::mutex mutex_;                        // guards slots_
    std::unordered_set<RequestSlot*> slots_;  // accepted and not yet released
    std::unique_ptr<BlockingRunner> runner_;
    std::unique_ptr<Plugin> plugin_;
};

template <class P>
agenthost_instance_plugin_ptr newInstance(const agenthost_host_api* host,
                                          const agenthost_instance_config* config,
                                          agenthost_buffer* error) {
    try {
        Context context;
        context.route = toString(config->route);
        std::map<std::string, std::string> values;
        for (std::size_t i = 0; i < config->settings_count; ++i)
            values[toString(config->settings[i].key)] = toString(config->settings[i].value);
        context.settings = Settings(std::move(values));
        context.log = Logger(host, config->host);
        context.metrics = Metrics(host, config->host);
        auto runner = std::make_unique<BlockingRunner>();
        return new Instance(host, std::make_unique<P>(context), std::move(runner));
    } catch (const std::exception& e) {
        copyTo(error, e.what());
    } catch (...) {
        copyTo(error, "unknown exception while creating the plugin");
    }
    return nullptr;
}

inline void destroyInstance(agenthost_instance_plugin_ptr instance) {
    try {
        delete static_cast<Instance*>(instance);
    } catch (...) {
    }
}

inline std::uint32_t instanceHealth(agenthost_instance_plugin_ptr instance,
                                    agenthost_buffer* detail) {
    try {
        return static_cast<Instance*>(instance)->health(detail);
    } catch (const std::exception& e) {
        copyTo(detail, e.what());
    } catch (...) {
        copyTo(detail, "health check failed");
    }
    return AGENTHOST_HEALTH_ERROR;
}

inline std::uint32_t requestStart(agenthost_instance_plugin_ptr instance,
                                  const agenthost_request* request,
                                  agenthost_request_host_ptr handle,
                                  agenthost_request_plugin_ptr* context,
                                  agenthost_buffer* /*refusalCode*/,
                                  agenthost_buffer* /*refusalMessage*/) {
    try {
        return static_cast<Instance*>(instance)->start(request, handle, context);
    } catch (...) {
        return AGENTHOST_START_REFUSED;  // could not even allocate the Response
    }
}

inline void requestCancel(agenthost_instance_plugin_ptr, agenthost_request_plugin_ptr context,
                          std::uint32_t reason) {
    try {
        Instance::cancel(context, reason);
    } catch (...) {
    }
}

inline void requestRelease(agenthost_instance_plugin_ptr instance,
                           agenthost_request_plugin_ptr context) {
    try {
        static_cast<Instance*>(instance)->release(context);
    } catch (...) {
    }
}

inline void approvalDecided(agenthost_instance_plugin_ptr, agenthost_request_plugin_ptr context,
                            std::uint64_t cookie, std::uint32_t decision) {
    try {
        Instance::decide(context, cookie, decision);
    } catch (...) {
    }
}

}  // namespace detail
}  // namespace agenthost

#if defined(_WIN32)
#define AGENTHOST_EXPORT __declspec(dllexport)
#else
#define AGENTHOST_EXPORT __attribute__((visibility("default")))
#endif

// Declares the plugin class, its name and version (string literals), and exports the ABI's init
// function. Use once per library, at namespace scope, outside any namespace.
#define AGENTHOST_PLUGIN(PluginClass, NAME, VERSION)                                         \
    namespace {                                                                              \
    const agenthost_host_api* agenthost_sdk_host_api = nullptr;                              \
    agenthost_instance_plugin_ptr agenthost_sdk_instance_new(                                \
        const agenthost_instance_config* config, agenthost_buffer* error) {                  \
        return ::agenthost::detail::newInstance<PluginClass>(agenthost_sdk_host_api, config, \
                                                             error);                         \
    }                                                                                        \
    const agenthost_plugin_api agenthost_sdk_plugin_api = {                                  \
        sizeof(agenthost_plugin_api),                                                        \
        AGENTHOST_ABI_MAJOR,                                                                 \
        AGENTHOST_ABI_MINOR,                                                                 \
        0, /* min_host_minor: the SDK uses nothing newer than 2.0 */                         \
        AGENTHOST_PLUGIN_HONORS_SLOW_DOWN |                                                  \
            (PluginClass::nonBlockingStart ? AGENTHOST_PLUGIN_NONBLOCKING_START : 0u),       \
        AGENTHOST_STR(NAME),                                                                 \
        AGENTHOST_STR(VERSION),                                                              \
        &agenthost_sdk_instance_new,                                                         \
        &::agenthost::detail::destroyInstance,                                               \
        &::agenthost::detail::instanceHealth,                                                \
        &::agenthost::detail::requestStart,                                                  \
        &::agenthost::detail::requestCancel,                                                 \
        &::agenthost::detail::requestRelease,                                                \
        &::agenthost::detail::approvalDecided};                                              \
    }                                                                                        \
    extern "C" AGENTHOST_EXPORT const agenthost_plugin_api* agenthost_plugin_init(           \
        const agenthost_host_api* host) {                                                    \
        if (host == nullptr || host->abi_major != AGENTHOST_ABI_MAJOR) return nullptr;       \
        agenthost_sdk_host_api = host;                                                       \
        return &agenthost_sdk_plugin_api;                                                    \
    }

#endif  // AGENTHOST_PLUGIN_HPP
