#include "plugin/HostApi.h"

#include <Poco/Logger.h>

#include <algorithm>
#include <optional>

#include "plugin/PluginMetrics.h"
#include "util/LogExceptions.h"
#include "util/Utf8.h"

namespace agenthost::plugin {
namespace {

// A plugin bug must not take the host down, and nothing may unwind into plugin code.
template <class F>
void guarded(F&& f) {
    util::logExceptions("plugin callback", f);
}

// The view of a plugin's string, or nothing when it is malformed (no data but a size).
std::optional<std::string_view> view(agenthost_str s) {
    if (s.data == nullptr) {
        if (s.size != 0) return std::nullopt;
        return std::string_view();
    }
    return std::string_view(s.data, s.size);
}

uint32_t emitText(agenthost_request_host_ptr request, agenthost_str text) {
    const auto t = view(text);
    if (request == nullptr || !t) return AGENTHOST_EMIT_INVALID;
    uint32_t status = AGENTHOST_EMIT_INVALID;
    guarded([&] { status = request->onText(*t); });
    return status;
}

uint32_t emitEvent(agenthost_request_host_ptr request, agenthost_str kind, agenthost_str content,
                   agenthost_str data) {
    const auto k = view(kind), c = view(content), d = view(data);
    if (request == nullptr || !k || !c || !d) return AGENTHOST_EMIT_INVALID;
    uint32_t status = AGENTHOST_EMIT_INVALID;
    guarded([&] { status = request->onEvent(*k, *c, *d); });
    return status;
}

uint32_t requestApproval(agenthost_request_host_ptr request, uint64_t cookie, agenthost_str action,
                         agenthost_str content, agenthost_str detail) {
    const auto a = view(action), c = view(content), d = view(detail);
    if (request == nullptr || !a || !c || !d) return AGENTHOST_EMIT_INVALID;
    uint32_t status = AGENTHOST_EMIT_INVALID;
    guarded([&] { status = request->onApprovalRequest(cookie, *a, *c, *d); });
    return status;
}

void reportUsage(agenthost_request_host_ptr request, uint64_t input, uint64_t output) {
    if (request == nullptr) return;
    guarded([&] { request->onUsage(input, output); });
}

void setStopReason(agenthost_request_host_ptr request, agenthost_str reason) {
    const auto r = view(reason);
    if (request == nullptr || !r) return;
    guarded([&] { request->onStopReason(*r); });
}

void setSessionState(agenthost_request_host_ptr request, agenthost_str state) {
    const auto s = view(state);
    if (request == nullptr || !s) return;
    guarded([&] { request->onSessionState(*s); });
}

void setTurnData(agenthost_request_host_ptr request, agenthost_str data) {
    const auto d = view(data);
    if (request == nullptr || !d) return;
    guarded([&] { request->onTurnData(*d); });
}

void reportCacheUsage(agenthost_request_host_ptr request, uint64_t creation, uint64_t read) {
    if (request == nullptr) return;
    guarded([&] { request->onCacheUsage(creation, read); });
}

void requestLog(agenthost_request_host_ptr request, uint32_t level, agenthost_str message) {
    const auto m = view(message);
    if (request == nullptr || !m) return;
    guarded([&] { request->onLog(level, *m); });
}

void finish(agenthost_request_host_ptr request, agenthost_str code, agenthost_str message) {
    if (request == nullptr) return;
    // A malformed string still finishes the request (it must end exactly once): as an error.
    const auto c = view(code), m = view(message);
    guarded([&] {
        if (!c || !m)
            request->onFinish("plugin_error", "the plugin finished with a malformed string");
        else
            request->onFinish(*c, *m);
    });
}

uint32_t waitWritable(agenthost_request_host_ptr request, uint64_t timeoutMs) {
    if (request == nullptr) return AGENTHOST_EMIT_INVALID;
    uint32_t status = AGENTHOST_EMIT_INVALID;
    guarded([&] { status = request->onWaitWritable(timeoutMs); });
    return status;
}

void log(agenthost_instance_host_ptr instance, uint32_t level, agenthost_str message) {
    const auto m = view(message);
    if (instance == nullptr || instance->logger == nullptr || !m) return;
    guarded([&] {
        logAtLevel(*instance->logger, level, "[" + instance->route + "] " + util::repairUtf8(*m));
    });
}

uint32_t metricDefine(agenthost_instance_host_ptr instance, uint32_t kind, agenthost_str name,
                      agenthost_str help) {
    const auto n = view(name), h = view(help);
    if (instance == nullptr || instance->metrics == nullptr || !n || !h) return 0;
    uint32_t id = 0;
    guarded([&] {
        id = instance->metrics->define(kind, *n, *h);
        if (id != 0 && instance->forward) instance->forward->defined(id, kind, *n, *h);
    });
    return id;
}

void metricRecord(agenthost_instance_host_ptr instance, uint32_t metric, double value) {
    if (instance == nullptr || instance->metrics == nullptr) return;
    instance->metrics->record(metric, value);  // noexcept: no allocation, no lock
    if (instance->forward) guarded([&] { instance->forward->recorded(metric, value); });
}

const agenthost_host_api kHostApi = {
    sizeof(agenthost_host_api),
    AGENTHOST_ABI_MAJOR,
    AGENTHOST_ABI_MINOR,
    &emitText,
    &emitEvent,
    &requestApproval,
    &reportUsage,
    &setStopReason,
    &setSessionState,
    &requestLog,
    &finish,
    &log,
    &metricDefine,
    &metricRecord,
    &setTurnData,
    &reportCacheUsage,
    &waitWritable,
};

}  // namespace

thread_local int HostCallScope::depth_ = 0;

const agenthost_host_api* hostApi() {
    return &kHostApi;
}

void logAtLevel(Poco::Logger& logger, std::uint32_t level, const std::string& line) {
    switch (level) {
        case AGENTHOST_LOG_DEBUG:
            logger.debug(line);
            break;
        case AGENTHOST_LOG_INFO:
            logger.information(line);
            break;
        case AGENTHOST_LOG_WARNING:
            logger.warning(line);
            break;
        default:
            logger.error(line);
            break;
    }
}

std::uint32_t emitStatusAfterCancel(std::uint32_t reason) {
    switch (reason) {
        case AGENTHOST_CANCEL_DISCONNECT:
            return AGENTHOST_EMIT_CLIENT_GONE;
        case AGENTHOST_CANCEL_SHUTDOWN:
        case AGENTHOST_CANCEL_DRAIN:
            return AGENTHOST_EMIT_STOPPING;
        default:
            return AGENTHOST_EMIT_CANCELLED;
    }
}

std::string bufferText(const agenthost_buffer& buffer) {
    if (buffer.data == nullptr) return "";
    const std::string_view text(buffer.data, std::min(buffer.size, buffer.capacity));
    return util::repairUtf8(util::withoutTruncatedEnd(text));
}

}  // namespace agenthost::plugin
