#include "metrics/Metrics.h"

#include <vector>

namespace agenthost::metrics {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

std::uint64_t read(const std::atomic<std::uint64_t>& counter) {
    return counter.load(kRelaxed);
}

std::int64_t read(const std::atomic<std::int64_t>& gauge) {
    return gauge.load(kRelaxed);
}

}  // namespace

void KeySeries::error(const std::string& code) {
    std::lock_guard<std::mutex> lock(errorsMutex_);
    auto found = errors_.find(code);
    if (found == errors_.end() && errors_.size() >= kMaxErrorCodes) found = errors_.find("other");
    if (found == errors_.end())
        found = errors_.emplace(errors_.size() >= kMaxErrorCodes ? "other" : code, 0).first;
    ++found->second;
}

std::map<std::string, std::uint64_t> KeySeries::errors() const {
    std::lock_guard<std::mutex> lock(errorsMutex_);
    return errors_;
}

std::chrono::steady_clock::time_point Recorder::now() const {
    return on() ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
}

void Recorder::queued() const {
    if (on()) route_->queuedMessages.fetch_add(1, kRelaxed);
}

void Recorder::started() const {
    if (!on()) return;
    route_->queuedMessages.fetch_sub(1, kRelaxed);
    route_->activeRequests.fetch_add(1, kRelaxed);
}

void Recorder::firstChunk(std::chrono::steady_clock::time_point startedAt) const {
    if (on()) route_->timeToFirstChunk.observe(std::chrono::steady_clock::now() - startedAt);
}

void Recorder::ended(Outcome outcome, const std::string& errorCode, bool wasRunning,
                     std::chrono::steady_clock::time_point startedAt) const {
    if (!on()) return;
    if (wasRunning) {
        route_->activeRequests.fetch_sub(1, kRelaxed);
        route_->requestDuration.observe(std::chrono::steady_clock::now() - startedAt);
    } else {
        route_->queuedMessages.fetch_sub(1, kRelaxed);
    }
    switch (outcome) {
        case Outcome::Complete:
            key_->complete.fetch_add(1, kRelaxed);
            break;
        case Outcome::Cancelled:
            key_->cancelled.fetch_add(1, kRelaxed);
            break;
        case Outcome::Error:
            key_->error(errorCode);
            break;
    }
}

void Recorder::tokens(std::uint64_t input, std::uint64_t output) const {
    if (!on()) return;
    key_->inputTokens.fetch_add(input, kRelaxed);
    key_->outputTokens.fetch_add(output, kRelaxed);
}

void Recorder::resumed() const {
    if (on()) route_->resumes.fetch_add(1, kRelaxed);
}

void Recorder::replayed(std::uint64_t frames) const {
    if (on() && frames > 0) route_->replayedFrames.fetch_add(frames, kRelaxed);
}

RouteSeries& Metrics::route(const std::string& route) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& series = routes_[route];
    if (!series) series = std::make_unique<RouteSeries>();
    return *series;
}

KeySeries& Metrics::key(const std::string& route, const std::string& keyName) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& series = keys_[{route, keyName}];
    if (!series) series = std::make_unique<KeySeries>();
    return *series;
}

void Metrics::write(Exposition& out) const {
    std::vector<std::pair<std::string, const RouteSeries*>> routes;
    std::vector<std::pair<std::pair<std::string, std::string>, const KeySeries*>> keys;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& [name, series] : routes_) routes.emplace_back(name, series.get());
        for (const auto& [names, series] : keys_) keys.emplace_back(names, series.get());
    }
    const auto perRoute = [&](std::string_view name, std::string_view type, std::string_view help,
                              auto value) {
        out.family(name, type, help);
        for (const auto& [route, series] : routes)
            out.sample(name, {{"route", route}}, value(*series));
    };

    out.family("agenthost_connections", "gauge",
               "Open WebSocket connections, by route and whether their key was accepted.");
    for (const auto& [route, series] : routes) {
        out.sample("agenthost_connections", {{"route", route}, {"authenticated", "true"}},
                   read(series->authenticated));
        out.sample("agenthost_connections", {{"route", route}, {"authenticated", "false"}},
                   read(series->unauthenticated));
    }
    perRoute("agenthost_connections_opened_total", "counter",
             "WebSocket connections opened (upgrades), by route.",
             [](const RouteSeries& s) { return read(s.opened); });
    out.family("agenthost_authentication_failures_total", "counter",
               "WebSocket connections closed for their key, by route and reason.");
    for (const auto& [route, series] : routes) {
        out.sample("agenthost_authentication_failures_total",
                   {{"route", route}, {"reason", "invalid_api_key"}}, read(series->invalidKey));
        out.sample("agenthost_authentication_failures_total",
                   {{"route", route}, {"reason", "forbidden"}}, read(series->forbidden));
        out.sample("agenthost_authentication_failures_total",
                   {{"route", route}, {"reason", "auth_timeout"}}, read(series->authTimeout));
    }

    out.family("agenthost_requests_total", "counter",
               "Requests (user messages) by route, key name and how they ended; errors by code.");
    for (const auto& [names, series] : keys) {
        const auto& [route, key] = names;
        const auto outcome = [&](std::string_view name, std::uint64_t value) {
            out.sample("agenthost_requests_total",
                       {{"route", route}, {"key", key}, {"outcome", name}}, value);
        };
        outcome("complete", read(series->complete));
        outcome("cancelled", read(series->cancelled));
        outcome("rate_limited", read(series->rateLimited));
        for (const auto& [code, count] : series->errors())
            out.sample("agenthost_requests_total",
                       {{"route", route}, {"key", key}, {"outcome", "error"}, {"code", code}},
                       count);
    }
    out.family("agenthost_tokens_total", "counter",
               "Tokens the plugins reported, by route, key name and type.");
    for (const auto& [names, series] : keys) {
        const auto& [route, key] = names;
        out.sample("agenthost_tokens_total", {{"route", route}, {"key", key}, {"type", "input"}},
                   read(series->inputTokens));
        out.sample("agenthost_tokens_total", {{"route", route}, {"key", key}, {"type", "output"}},
                   read(series->outputTokens));
    }

    out.family("agenthost_time_to_first_chunk_seconds", "histogram",
               "Time from a request's start to its first message frame, by route.");
    for (const auto& [route, series] : routes)
        out.histogram("agenthost_time_to_first_chunk_seconds", {{"route", route}},
                      series->timeToFirstChunk.snapshot());
    out.family("agenthost_request_duration_seconds", "histogram",
               "Time from a request's start to its last frame, by route.");
    for (const auto& [route, series] : routes)
        out.histogram("agenthost_request_duration_seconds", {{"route", route}},
                      series->requestDuration.snapshot());

    perRoute("agenthost_active_requests", "gauge", "Requests a plugin is answering now, by route.",
             [](const RouteSeries& s) { return read(s.activeRequests); });
    perRoute("agenthost_queued_messages", "gauge",
             "Messages waiting for the response before them, by route.",
             [](const RouteSeries& s) { return read(s.queuedMessages); });
    perRoute("agenthost_resumes_total", "counter",
             "Conversations resumed with after_seq (by URL or resume frame), by route.",
             [](const RouteSeries& s) { return read(s.resumes); });
    perRoute("agenthost_replayed_frames_total", "counter", "Frames replayed by resumes, by route.",
             [](const RouteSeries& s) { return read(s.replayedFrames); });

    out.family("agenthost_reloads_total", "counter", "Configuration reloads, by result.");
    out.sample("agenthost_reloads_total", {{"result", "ok"}}, read(reloadsOk_));
    out.sample("agenthost_reloads_total", {{"result", "failed"}}, read(reloadsFailed_));
}

}  // namespace agenthost::metrics
