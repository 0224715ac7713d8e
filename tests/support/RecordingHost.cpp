#include "support/RecordingHost.h"

#include <dlfcn.h>

#include <condition_variable>
#include <stdexcept>

namespace agenthost::test {
namespace {

std::condition_variable& changed() {
    static std::condition_variable c;
    return c;
}

Recorded& recordOf(agenthost_request_host_ptr request) {
    return *reinterpret_cast<Recorded*>(request);
}

std::string toString(agenthost_str s) {
    return s.data ? std::string(s.data, s.size) : "";
}

// Runs `change` on the request's record under the shared lock and wakes the waiters.
template <class Change>
void update(agenthost_request_host_ptr request, Change change) {
    std::lock_guard<std::mutex> lock(RecordingHost::mutex());
    Recorded& r = recordOf(request);
    change(r);
    changed().notify_all();
}

uint32_t emitText(agenthost_request_host_ptr request, agenthost_str text) {
    uint32_t answer = AGENTHOST_EMIT_OK;
    update(request, [&](Recorded& r) {
        if (r.finishes > 0) r.sentAfterFinish = true;
        r.text += toString(text);
        answer = r.emitAnswer;
    });
    return answer;
}

uint32_t emitEvent(agenthost_request_host_ptr request, agenthost_str kind, agenthost_str content,
                   agenthost_str) {
    uint32_t answer = AGENTHOST_EMIT_OK;
    update(request, [&](Recorded& r) {
        if (r.finishes > 0) r.sentAfterFinish = true;
        r.events.push_back(toString(kind) + ": " + toString(content));
        r.textAtEvents.push_back(r.text.size());
        answer = r.emitAnswer;
    });
    return answer;
}

uint32_t requestApproval(agenthost_request_host_ptr request, uint64_t cookie, agenthost_str,
                         agenthost_str, agenthost_str) {
    uint32_t answer = AGENTHOST_EMIT_OK;
    update(request, [&](Recorded& r) {
        answer = r.approvalAnswer;
        if (answer == AGENTHOST_EMIT_OK) r.approvalCookies.push_back(cookie);
    });
    return answer;
}

void reportUsage(agenthost_request_host_ptr, uint64_t, uint64_t) {}
void setStopReason(agenthost_request_host_ptr request, agenthost_str reason) {
    update(request, [&](Recorded& r) { r.stopReason = toString(reason); });
}
void setSessionState(agenthost_request_host_ptr request, agenthost_str state) {
    update(request, [&](Recorded& r) { r.sessionState = toString(state); });
}
void requestLog(agenthost_request_host_ptr, uint32_t, agenthost_str) {}

void finish(agenthost_request_host_ptr request, agenthost_str code, agenthost_str message) {
    update(request, [&](Recorded& r) {
        ++r.finishes;
        r.code = toString(code);
        r.message = toString(message);
    });
}

void log(agenthost_instance_host_ptr, uint32_t, agenthost_str) {}
uint32_t metricDefine(agenthost_instance_host_ptr, uint32_t, agenthost_str, agenthost_str) {
    return 0;
}
void metricRecord(agenthost_instance_host_ptr, uint32_t, double) {}
// Nothing is sent anywhere, so the reader is never behind.
uint32_t waitWritable(agenthost_request_host_ptr, uint64_t) {
    return AGENTHOST_EMIT_OK;
}

const agenthost_host_api kHost = {sizeof(agenthost_host_api),
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
                                  nullptr,  // set_turn_data: what a plugin does without it
                                  nullptr,  // report_cache_usage
                                  &waitWritable};

}  // namespace

RecordingHost::RecordingHost(const std::string& library) {
    library_ = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!library_) throw std::runtime_error(std::string("dlopen: ") + dlerror());
    auto init =
        reinterpret_cast<agenthost_plugin_init_fn>(dlsym(library_, AGENTHOST_PLUGIN_INIT_SYMBOL));
    if (!init) throw std::runtime_error(library + " exports no " AGENTHOST_PLUGIN_INIT_SYMBOL);
    api_ = init(&kHost);
    if (!api_) throw std::runtime_error(library + " refused the host");
}

RecordingHost::~RecordingHost() {
    if (library_) dlclose(library_);
}

agenthost_instance_plugin_ptr RecordingHost::newInstance(
    const std::map<std::string, std::string>& settings, std::string* error) const {
    std::vector<agenthost_setting> list;
    for (const auto& [key, value] : settings)
        list.push_back({{key.data(), key.size()}, {value.data(), value.size()}});
    agenthost_instance_config config{};
    config.struct_size = sizeof config;
    config.route = {"test", 4};
    config.settings = list.data();
    config.settings_count = list.size();
    char reason[512];
    agenthost_buffer buffer{reason, sizeof reason, 0};
    auto instance = api_->instance_new(&config, &buffer);
    if (error) error->assign(reason, buffer.size);
    return instance;
}

std::uint32_t RecordingHost::start(agenthost_instance_plugin_ptr instance, Recorded& record,
                                   const std::string& message, std::uint64_t id,
                                   std::uint32_t flags) const {
    agenthost_request request{};
    request.struct_size = sizeof request;
    request.request_id = id;
    request.turn = 1;
    request.flags = flags;
    request.message = {message.data(), message.size()};
    char code[64];
    char text[512];
    agenthost_buffer refusalCode{code, sizeof code, 0};
    agenthost_buffer refusalMessage{text, sizeof text, 0};
    return api_->request_start(instance, &request,
                               reinterpret_cast<agenthost_request_host_ptr>(&record),
                               &record.context, &refusalCode, &refusalMessage);
}

std::mutex& RecordingHost::mutex() {
    static std::mutex m;
    return m;
}

bool RecordingHost::waitFor(const std::function<bool()>& condition,
                            std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex());
    return changed().wait_for(lock, timeout, condition);
}

}  // namespace agenthost::test
