// A stand-in for the host on the raw C ABI: loads a plugin library with dlopen and records what
// the plugin sends for each request, so that a test can drive a plugin through plugin_abi.h
// alone and check the contract (finish exactly once, nothing after finish, release frees).
// The request handle the plugin sees is the address of its Recorded.
#pragma once

#include <agenthost/plugin_abi.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace agenthost::test {

struct Recorded {
    std::string text;
    std::vector<std::string> events;  // "kind: content", in order
    int finishes = 0;
    std::string code;  // empty: success
    std::string message;
    bool sentAfterFinish = false;
    agenthost_request_plugin_ptr context = nullptr;    // the plugin's, until released
    std::vector<std::uint64_t> approvalCookies;        // request_approval calls, in order
    std::uint32_t approvalAnswer = AGENTHOST_EMIT_OK;  // what request_approval returns
    std::uint32_t emitAnswer = AGENTHOST_EMIT_OK;      // what emit_text and emit_event return
    std::vector<std::size_t> textAtEvents;             // text.size() when each event came
    std::string stopReason;
    std::string sessionState;
};

class RecordingHost {
  public:
    // Loads `library` (a path) and runs its init function; fails the test when it refuses.
    explicit RecordingHost(const std::string& library);
    ~RecordingHost();
    RecordingHost(const RecordingHost&) = delete;
    RecordingHost& operator=(const RecordingHost&) = delete;

    const agenthost_plugin_api& api() const { return *api_; }

    // instance_new with `settings`; null (and *error set) when the plugin refuses.
    agenthost_instance_plugin_ptr newInstance(const std::map<std::string, std::string>& settings,
                                              std::string* error = nullptr) const;
    // request_start for `message`; the result is AGENTHOST_START_*.
    std::uint32_t start(agenthost_instance_plugin_ptr instance, Recorded& record,
                        const std::string& message, std::uint64_t id = 1,
                        std::uint32_t flags = 0) const;

    // Every recorded request shares one lock, taken by the callbacks and by these.
    static std::mutex& mutex();
    static bool waitFor(const std::function<bool()>& condition,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));

  private:
    void* library_ = nullptr;
    const agenthost_plugin_api* api_ = nullptr;
};

}  // namespace agenthost::test
