#include "plugin/HostApi.h"

#include <Poco/Logger.h>

#include "util/LogExceptions.h"

namespace agenthost::plugin {
namespace {

// A plugin bug must not take the host down, and nothing may unwind into plugin code.
template <class F>
void guarded(F&& f) {
    util::logExceptions("plugin callback", f);
}

void emitText(agenthost_request_host_ptr request, const char* data, size_t size) {
    if (request == nullptr || (data == nullptr && size != 0)) return;
    guarded([&] { request->onText(std::string_view(data, size)); });
}

void reportUsage(agenthost_request_host_ptr request, uint64_t input, uint64_t output) {
    if (request == nullptr) return;
    guarded([&] { request->onUsage(input, output); });
}

void setSessionState(agenthost_request_host_ptr request, const char* data, size_t size) {
    if (request == nullptr || (data == nullptr && size != 0)) return;
    guarded([&] { request->onSessionState(std::string_view(data, size)); });
}

void finish(agenthost_request_host_ptr request, const char* code, const char* message) {
    if (request == nullptr) return;
    guarded([&] { request->onFinish(code, message); });
}

void log(agenthost_instance_host_ptr instance, agenthost_log_level level, const char* message) {
    if (instance == nullptr || instance->logger == nullptr || message == nullptr) return;
    guarded([&] {
        std::string line = "[" + instance->route + "] " + message;
        switch (level) {
            case AGENTHOST_LOG_DEBUG:
                instance->logger->debug(line);
                break;
            case AGENTHOST_LOG_INFO:
                instance->logger->information(line);
                break;
            case AGENTHOST_LOG_WARNING:
                instance->logger->warning(line);
                break;
            default:
                instance->logger->error(line);
                break;
        }
    });
}

const agenthost_host_api kHostApi = {
    sizeof(agenthost_host_api),
    AGENTHOST_ABI_MAJOR,
    AGENTHOST_ABI_MINOR,
    &emitText,
    &reportUsage,
    &setSessionState,
    &finish,
    &log,
};

}  // namespace

const agenthost_host_api* hostApi() {
    return &kHostApi;
}

}  // namespace agenthost::plugin
