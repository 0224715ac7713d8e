// claude: answers each client message with a streaming Anthropic Messages API request.
//
// One CurlMultiLoop thread per instance carries every request of that route; the host's threads
// only build the request body and post work to it. See MessageCall for one request's life.
#include <curl/curl.h>

#include <agenthost/plugin.hpp>
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "ApiErrors.h"
#include "CaCertificates.h"
#include "ClaudeConfig.h"
#include "CurlMultiLoop.h"
#include "MessageCall.h"

namespace agenthost::claude {
namespace {

// Namespace scope, not a function-local static: those become STB_GNU_UNIQUE symbols, which
// would keep this library from ever unloading (see plugin.hpp).
std::once_flag curlGlobalInitOnce;

// curl_global_init is not thread-safe before curl 7.84; instances may be created concurrently.
// It is never undone: curl_global_cleanup would race with any other curl user in the process.
struct CurlGlobalInit {
    CurlGlobalInit() {
        std::call_once(curlGlobalInitOnce, [] {
            if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                throw std::runtime_error("curl_global_init failed");
        });
    }
};

std::string keySource(const ClaudeConfig& config) {
    if (config.apiKey.empty()) return "no API key";
    return config.apiKeyFromEnvironment ? "API key from ANTHROPIC_API_KEY"
                                        : "API key from the settings";
}

std::string thinkingNote(const ClaudeConfig& config) {
    if (config.thinkingBudgetTokens == 0) return "";
    return ", extended thinking up to " + std::to_string(config.thinkingBudgetTokens) + " tokens";
}

class ClaudePlugin final : public Plugin {
  public:
    explicit ClaudePlugin(const Context& context)
        : config_(std::make_shared<const ClaudeConfig>(ClaudeConfig::fromSettings(
              context.route, context.settings, std::getenv("ANTHROPIC_API_KEY")))),
          log_(context.log),
          random_(std::random_device{}()),
          loop_(config_->keepaliveConnections) {
        warnAboutUnknownKeys(context.settings);
        log_.info("model " + config_->model + " at " + config_->baseUrl + ", " +
                  keySource(*config_) + thinkingNote(*config_));
        if (config_->apiKey.empty()) log_.warning(missingKeyFailure(*config_).message);
        if (const std::string missing = missingCaCertificates(*config_); !missing.empty())
            log_.warning(missing);
    }

    ~ClaudePlugin() override {
        loop_.post([this] { abortAll(); });
        loop_.stop();
    }

    Health health() const override {
        if (config_->apiKey.empty())
            return Health::degraded("no API key: set api_key = env:ANTHROPIC_API_KEY in the " +
                                    config_->section() + " section, or export ANTHROPIC_API_KEY");
        // Looked at again on each call: installing ca-certificates needs no restart.
        if (const std::string missing = missingCaCertificates(*config_); !missing.empty())
            return Health::degraded(missing);
        if (keyRejected_.load())
            return Health::degraded(
                "the Anthropic API rejected the API key (401): set a valid "
                "api_key in the " +
                config_->section() + " section");
        return Health::ok("model " + config_->model + " at " + config_->baseUrl);
    }

    void start(Request request, std::shared_ptr<Response> response) override {
        if (config_->apiKey.empty()) {
            const Failure failure = missingKeyFailure(*config_);
            response->fail(failure.code, failure.message);
            return;
        }
        // A finished call leaves live_ in a later loop turn, not while its own code runs.
        auto call = std::make_shared<MessageCall>(
            environment(), std::move(request), response,
            [this](MessageCall* done) { loop_.post([this, done] { live_.erase(done); }); });
        loop_.post([this, call] {
            live_.emplace(call.get(), call);
            call->begin();
        });
        std::weak_ptr<MessageCall> weak = call;
        CurlMultiLoop* loop = &loop_;
        response->onCancel([loop, weak] {
            loop->post([weak] {
                if (auto c = weak.lock()) c->cancel();
            });
        });
    }

  private:
    CallEnvironment environment() {
        CallEnvironment env;
        env.loop = &loop_;
        env.config = config_;
        env.log = log_;
        env.random = &random_;
        env.onHttpStatus = [this](long status) {
            if (status == 401) keyRejected_.store(true);
            if (status == 200) keyRejected_.store(false);
        };
        // The API may add event and block types at any time: worth a line, not one per event.
        env.onUnknown = [this](const std::string& what) {
            if (unknownSeen_.insert(what).second)
                log_.debug("ignoring unknown " + what +
                           " in the Messages API stream (logged once)");
        };
        return env;
    }

    // On the loop thread, when the instance goes away: fail what is still running.
    void abortAll() {
        std::vector<std::shared_ptr<MessageCall>> calls;
        for (auto& [raw, call] : live_) calls.push_back(call);
        live_.clear();
        const Failure failure = shutDownFailure();
        for (auto& call : calls) call->abort(failure.code, failure.message);
    }

    void warnAboutUnknownKeys(const Settings& settings) const {
        const auto& known = ClaudeConfig::knownKeys();
        for (const auto& [key, value] : settings.all())
            if (std::find(known.begin(), known.end(), key) == known.end())
                log_.warning("unknown setting \"" + key + "\" in " + config_->section() +
                             " is ignored");
    }

    CurlGlobalInit curlGlobalInit_;  // first: before anything touches curl
    std::shared_ptr<const ClaudeConfig> config_;
    Logger log_;
    std::atomic<bool> keyRejected_{false};
    std::mt19937 random_;                                                  // loop thread only
    std::unordered_map<MessageCall*, std::shared_ptr<MessageCall>> live_;  // loop thread only
    std::set<std::string> unknownSeen_;                                    // loop thread only
    CurlMultiLoop loop_;  // last: its thread starts once everything above exists
};

}  // namespace
}  // namespace agenthost::claude

AGENTHOST_PLUGIN(agenthost::claude::ClaudePlugin, "claude", "1.0.0")
