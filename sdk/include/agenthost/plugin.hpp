// agenthost plugin SDK: a small header-only C++ layer over plugin_abi.h.
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
//     may block on I/O. Poll response.cancelled() in long loops. Returning completes the response
//     unless it was already finished; an exception fails it with code "plugin_error".
//   - Asynchronous: override start(), keep the shared Response and answer from your own threads.
//     start() must return promptly. Register response->onCancel() to abort upstream work.
// Either way the response is finished exactly once: by complete()/fail(), or by the SDK when
// the last reference to an unfinished Response goes away (as an error, so a bug never hangs a
// client).
//
// Nothing in this header throws across the C boundary, and it keeps no function-local statics
// (those become STB_GNU_UNIQUE symbols, which stop the library from ever being unloaded).
#ifndef AGENTHOST_PLUGIN_HPP
#define AGENTHOST_PLUGIN_HPP

#include <agenthost/plugin_abi.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
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

// Writes to the host's log, tagged with the route. Cheap to copy; valid while the instance is.
class Logger {
  public:
    Logger() = default;
    Logger(const agenthost_host_api* host, agenthost_instance_host_ptr instance)
        : host_(host), instance_(instance) {}
    void debug(const std::string& m) const { write(AGENTHOST_LOG_DEBUG, m); }
    void info(const std::string& m) const { write(AGENTHOST_LOG_INFO, m); }
    void warning(const std::string& m) const { write(AGENTHOST_LOG_WARNING, m); }
    void error(const std::string& m) const { write(AGENTHOST_LOG_ERROR, m); }

  private:
    void write(agenthost_log_level level, const std::string& m) const {
        if (host_ && host_->log) host_->log(instance_, level, m.c_str());
    }
    const agenthost_host_api* host_ = nullptr;
    agenthost_instance_host_ptr instance_ = nullptr;
};

// What a plugin's constructor receives.
struct Context {
    std::string route;
    Settings settings;
    Logger log;
};

// One earlier turn of the conversation: views into the host's copy, valid until the response
// is finished (copy what you keep longer). Not copied per request, so long chats stay cheap.
struct Turn {
    std::string_view role;  // "user" or "assistant"
    std::string_view content;
};

// One client message and what the host knows about its session (an owned copy).
struct Request {
    std::uint64_t id = 0;
    std::string route;
    std::string sessionId;
    std::string keyName;
    std::string message;
    std::vector<Turn> history;  // earlier completed turns, oldest first
    std::string sessionState;   // what the plugin stored last time, or empty
};

struct Health {
    agenthost_health_status status = AGENTHOST_HEALTH_OK;
    std::string detail;

    static Health ok(std::string detail = "") { return {AGENTHOST_HEALTH_OK, std::move(detail)}; }
    static Health degraded(std::string detail) {
        return {AGENTHOST_HEALTH_DEGRADED, std::move(detail)};
    }
    static Health error(std::string detail) { return {AGENTHOST_HEALTH_ERROR, std::move(detail)}; }
};

class Response;

namespace detail {

// The instance's unfinished requests, so that a cancel from the host finds its Response.
class LiveRequests {
  public:
    void add(agenthost_request_host_ptr handle, const std::shared_ptr<Response>& response) {
        std::lock_guard<std::mutex> lock(mutex_);
        live_[handle] = response;
    }
    void remove(agenthost_request_host_ptr handle) {
        std::lock_guard<std::mutex> lock(mutex_);
        live_.erase(handle);
    }
    std::shared_ptr<Response> find(agenthost_request_host_ptr handle) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = live_.find(handle);
        return it == live_.end() ? nullptr : it->second.lock();
    }
    std::vector<std::shared_ptr<Response>> snapshot() {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<std::shared_ptr<Response>> out;
        for (auto& entry : live_)
            if (auto r = entry.second.lock()) out.push_back(std::move(r));
        return out;
    }

  private:
    std::mutex mutex_;
    std::unordered_map<agenthost_request_host_ptr, std::weak_ptr<Response>> live_;
};

}  // namespace detail

// The answer to one Request. Thread-safe; finished exactly once.
class Response {
  public:
    Response(const agenthost_host_api* host, agenthost_request_host_ptr handle,
             std::shared_ptr<detail::LiveRequests> registry)
        : host_(host), handle_(handle), registry_(std::move(registry)) {}
    Response(const Response&) = delete;
    Response& operator=(const Response&) = delete;
    ~Response() { fail("plugin_error", "the plugin ended the request without an answer"); }

    // Sends text to the client now. Ignored after the response finished.
    void text(std::string_view piece) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!finished_ && !piece.empty()) host_->emit_text(handle_, piece.data(), piece.size());
    }
    void usage(std::uint64_t inputTokens, std::uint64_t outputTokens) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!finished_) host_->report_usage(handle_, inputTokens, outputTokens);
    }
    void sessionState(std::string_view state) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!finished_) host_->set_session_state(handle_, state.data(), state.size());
    }
    void complete() { finish(nullptr, nullptr); }
    void fail(std::string_view code, std::string_view message) {
        std::string c(code), m(message);
        finish(c.c_str(), m.c_str());
    }

    bool finished() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return finished_;
    }
    bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }

    // Runs `onCancel` once when the host cancels this request (at once if it already did).
    // It runs on a host thread: it must not block; just signal your worker to stop.
    void onCancel(std::function<void()> onCancel) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!cancelled()) {
                onCancel_ = std::move(onCancel);
                return;
            }
        }
        onCancel();
    }

    // Called by the SDK when the host cancels.
    void cancel() {
        std::function<void()> callback;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            cancelled_.store(true, std::memory_order_release);
            callback = std::move(onCancel_);
        }
        if (callback) callback();
    }

  private:
    void finish(const char* code, const char* message) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (finished_) return;
        finished_ = true;
        registry_->remove(handle_);
        host_->finish(handle_, code, message);
    }

    const agenthost_host_api* host_;
    agenthost_request_host_ptr handle_;
    std::shared_ptr<detail::LiveRequests> registry_;
    mutable std::mutex mutex_;
    bool finished_ = false;
    std::atomic<bool> cancelled_{false};
    std::function<void()> onCancel_;
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

inline void copyTo(char* out, std::size_t size, const std::string& text) {
    if (!out || size == 0) return;
    std::size_t n = text.size() < size - 1 ? text.size() : size - 1;
    std::memcpy(out, text.data(), n);
    out[n] = '\0';
}

// What the plugin's instance pointer really points to.
class Instance {
  public:
    Instance(const agenthost_host_api* host, std::unique_ptr<Plugin> plugin,
             std::unique_ptr<BlockingRunner> runner)
        : host_(host), runner_(std::move(runner)), plugin_(std::move(plugin)) {
        plugin_->runner_ = runner_.get();
    }

    // Order matters: cancel what runs, let blocking jobs return, destroy the plugin (which
    // joins its own threads), then fail whatever a buggy plugin left unfinished.
    ~Instance() {
        for (auto& response : live_->snapshot()) response->cancel();
        runner_->stop();
        plugin_.reset();
        for (auto& response : live_->snapshot())
            response->fail("plugin_unavailable", "the plugin was shut down");
    }

    int start(const agenthost_request* raw, agenthost_request_host_ptr handle) {
        auto response = std::make_shared<Response>(host_, handle, live_);
        live_->add(handle, response);
        try {
            plugin_->start(toRequest(*raw), response);
        } catch (const std::exception& e) {
            response->fail("plugin_error", e.what());
        } catch (...) {
            response->fail("plugin_error", "unknown exception in plugin");
        }
        return 0;
    }

    void cancel(agenthost_request_host_ptr handle) {
        if (auto response = live_->find(handle)) response->cancel();
    }

    agenthost_health_status health(char* detail, std::size_t size) const {
        Health h = plugin_->health();
        copyTo(detail, size, h.detail);
        return h.status;
    }

  private:
    static Request toRequest(const agenthost_request& raw) {
        Request r;
        r.id = raw.request_id;
        r.route = toString(raw.route);
        r.sessionId = toString(raw.session_id);
        r.keyName = toString(raw.key_name);
        r.message = toString(raw.message);
        r.sessionState = toString(raw.session_state);
        r.history.reserve(raw.history_count);
        for (std::size_t i = 0; i < raw.history_count; ++i)
            r.history.push_back({view(raw.history[i].role), view(raw.history[i].content)});
        return r;
    }

    const agenthost_host_api* host_;
    std::shared_ptr<LiveRequests> live_ = std::make_shared<LiveRequests>();
    std::unique_ptr<BlockingRunner> runner_;
    std::unique_ptr<Plugin> plugin_;
};

template <class P>
agenthost_instance_plugin_ptr newInstance(const agenthost_host_api* host,
                                          const agenthost_instance_config* config, char* error,
                                          std::size_t errorSize) {
    try {
        Context context;
        context.route = toString(config->route);
        std::map<std::string, std::string> values;
        for (std::size_t i = 0; i < config->settings_count; ++i)
            values[toString(config->settings[i].key)] = toString(config->settings[i].value);
        context.settings = Settings(std::move(values));
        context.log = Logger(host, config->host);
        auto runner = std::make_unique<BlockingRunner>();
        return new Instance(host, std::make_unique<P>(context), std::move(runner));
    } catch (const std::exception& e) {
        copyTo(error, errorSize, e.what());
    } catch (...) {
        copyTo(error, errorSize, "unknown exception while creating the plugin");
    }
    return nullptr;
}

inline void destroyInstance(agenthost_instance_plugin_ptr instance) {
    try {
        delete static_cast<Instance*>(instance);
    } catch (...) {
    }
}

inline agenthost_health_status instanceHealth(agenthost_instance_plugin_ptr instance, char* detail,
                                              std::size_t size) {
    try {
        return static_cast<Instance*>(instance)->health(detail, size);
    } catch (const std::exception& e) {
        copyTo(detail, size, e.what());
    } catch (...) {
        copyTo(detail, size, "health check failed");
    }
    return AGENTHOST_HEALTH_ERROR;
}

inline int requestStart(agenthost_instance_plugin_ptr instance, const agenthost_request* request,
                        agenthost_request_host_ptr handle) {
    try {
        return static_cast<Instance*>(instance)->start(request, handle);
    } catch (...) {
        return 1;  // could not even allocate the Response; finish was not called
    }
}

inline void requestCancel(agenthost_instance_plugin_ptr instance,
                          agenthost_request_host_ptr handle) {
    try {
        static_cast<Instance*>(instance)->cancel(handle);
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

// Declares the plugin class, its name and version, and exports the ABI entry function.
// Use once per library, at namespace scope, outside any namespace.
#define AGENTHOST_PLUGIN(PluginClass, NAME, VERSION)                                              \
    namespace {                                                                                   \
    const agenthost_host_api* agenthost_sdk_host_api = nullptr;                                   \
    agenthost_instance_plugin_ptr agenthost_sdk_instance_new(                                     \
        const agenthost_instance_config* config, char* error, size_t error_size) {                \
        return ::agenthost::detail::newInstance<PluginClass>(agenthost_sdk_host_api, config,      \
                                                             error, error_size);                  \
    }                                                                                             \
    const agenthost_plugin_api agenthost_sdk_plugin_api = {sizeof(agenthost_plugin_api),          \
                                                           AGENTHOST_ABI_MAJOR,                   \
                                                           AGENTHOST_ABI_MINOR,                   \
                                                           NAME,                                  \
                                                           VERSION,                               \
                                                           &agenthost_sdk_instance_new,           \
                                                           &::agenthost::detail::destroyInstance, \
                                                           &::agenthost::detail::instanceHealth,  \
                                                           &::agenthost::detail::requestStart,    \
                                                           &::agenthost::detail::requestCancel};  \
    }                                                                                             \
    extern "C" AGENTHOST_EXPORT const agenthost_plugin_api* agenthost_plugin_entry(               \
        uint32_t host_abi_major, uint32_t /*host_abi_minor*/, const agenthost_host_api* host) {   \
        if (host_abi_major != AGENTHOST_ABI_MAJOR || host == nullptr) return nullptr;             \
        agenthost_sdk_host_api = host;                                                            \
        return &agenthost_sdk_plugin_api;                                                         \
    }

#endif  // AGENTHOST_PLUGIN_HPP
