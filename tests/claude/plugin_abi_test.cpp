// claude.so through its C ABI alone, with a recording host: finish exactly once per request,
// whatever races with it, and instance_destroy ends every transfer before it returns.
#include <agenthost/plugin_abi.h>
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "MockAnthropic.h"
#include "support/BuildPaths.h"

namespace agenthost::test {
namespace {

// What the plugin told the "host" about one request. The handle the plugin sees is its address.
struct Recorded {
    std::string text;
    int finishes = 0;
    std::string code;  // empty: success
    bool textAfterFinish = false;
    agenthost_request_plugin_ptr context = nullptr;  // the plugin's, until released
};

std::mutex recordMutex;
std::condition_variable recordChanged;

Recorded& recordOf(agenthost_request_host_ptr request) {
    return *reinterpret_cast<Recorded*>(request);
}

uint32_t emitText(agenthost_request_host_ptr request, agenthost_str text) {
    std::lock_guard<std::mutex> lock(recordMutex);
    Recorded& r = recordOf(request);
    if (r.finishes > 0) r.textAfterFinish = true;
    r.text.append(text.data, text.size);
    recordChanged.notify_all();
    return AGENTHOST_EMIT_OK;
}
uint32_t emitEvent(agenthost_request_host_ptr, agenthost_str, agenthost_str, agenthost_str) {
    return AGENTHOST_EMIT_OK;
}
uint32_t requestApproval(agenthost_request_host_ptr, uint64_t, agenthost_str, agenthost_str,
                         agenthost_str) {
    return AGENTHOST_EMIT_UNSUPPORTED;
}
void reportUsage(agenthost_request_host_ptr, uint64_t, uint64_t) {}
void setText(agenthost_request_host_ptr, agenthost_str) {}
void requestLog(agenthost_request_host_ptr, uint32_t, agenthost_str) {}
void finish(agenthost_request_host_ptr request, agenthost_str code, agenthost_str) {
    std::lock_guard<std::mutex> lock(recordMutex);
    Recorded& r = recordOf(request);
    ++r.finishes;
    r.code.assign(code.data, code.size);
    recordChanged.notify_all();
}
void log(agenthost_instance_host_ptr, uint32_t, agenthost_str) {}
uint32_t metricDefine(agenthost_instance_host_ptr, uint32_t, agenthost_str, agenthost_str) {
    return 0;
}
void metricRecord(agenthost_instance_host_ptr, uint32_t, double) {}

const agenthost_host_api kHost = {sizeof(agenthost_host_api),
                                  AGENTHOST_ABI_MAJOR,
                                  AGENTHOST_ABI_MINOR,
                                  &emitText,
                                  &emitEvent,
                                  &requestApproval,
                                  &reportUsage,
                                  &setText,
                                  &setText,
                                  &requestLog,
                                  &finish,
                                  &log,
                                  &metricDefine,
                                  &metricRecord};

class ClaudeAbi : public ::testing::Test {
  protected:
    void SetUp() override {
        library_ = dlopen((pluginBuildDirectory() + "/claude.so").c_str(), RTLD_NOW | RTLD_LOCAL);
        ASSERT_NE(library_, nullptr) << dlerror();
        auto init = reinterpret_cast<agenthost_plugin_init_fn>(
            dlsym(library_, AGENTHOST_PLUGIN_INIT_SYMBOL));
        ASSERT_NE(init, nullptr);
        api_ = init(&kHost);
        ASSERT_NE(api_, nullptr);
    }
    void TearDown() override {
        if (library_) dlclose(library_);
    }

    agenthost_instance_plugin_ptr newInstance(std::map<std::string, std::string> settings,
                                              std::string* error = nullptr) {
        std::vector<agenthost_setting> list;
        for (const auto& [key, value] : settings)
            list.push_back({{key.data(), key.size()}, {value.data(), value.size()}});
        agenthost_instance_config config{};
        config.struct_size = sizeof config;
        config.route = {"claude", 6};
        config.settings = list.data();
        config.settings_count = list.size();
        char reason[512];
        agenthost_buffer buffer{reason, sizeof reason, 0};
        auto instance = api_->instance_new(&config, &buffer);
        if (error) error->assign(reason, buffer.size);
        return instance;
    }

    void start(agenthost_instance_plugin_ptr instance, Recorded& record, std::uint64_t id) {
        agenthost_request request{};
        request.struct_size = sizeof request;
        request.request_id = id;
        request.message = {"hi", 2};
        ASSERT_EQ(api_->request_start(instance, &request,
                                      reinterpret_cast<agenthost_request_host_ptr>(&record),
                                      &record.context, nullptr, nullptr),
                  AGENTHOST_START_ACCEPTED);
    }

    // What a host does once a request is finished and no call into the plugin runs for it.
    void release(agenthost_instance_plugin_ptr instance, std::vector<Recorded>& records) {
        for (auto& r : records) api_->request_release(instance, r.context);
    }

    std::map<std::string, std::string> settingsFor(const MockAnthropic& mock) {
        return {{"api_key", "k"}, {"base_url", mock.baseUrl()}, {"max_retries", "0"}};
    }

    void* library_ = nullptr;
    const agenthost_plugin_api* api_ = nullptr;
};

bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock<std::mutex> lock(recordMutex);
    return recordChanged.wait_for(lock, timeout, condition);
}

TEST_F(ClaudeAbi, RefusesInvalidSettingsWithAReason) {
    std::string error;
    EXPECT_EQ(newInstance({{"max_tokens", "0"}}, &error), nullptr);
    EXPECT_NE(error.find("max_tokens"), std::string::npos) << error;
}

TEST_F(ClaudeAbi, DestroyEndsEveryStreamAndFinishesEachRequestOnce) {
    MockAnthropic mock;
    mock.setDefault([&mock](Exchange& exchange) {
        exchange.write(messageStartEvent(1) + textDeltaEvent("part"));
        if (exchange.waitUntilClientGone(10s)) mock.noteClientGone();
    });
    auto instance = newInstance(settingsFor(mock));
    ASSERT_NE(instance, nullptr);
    std::vector<Recorded> records(5);
    for (std::size_t i = 0; i < records.size(); ++i) start(instance, records[i], i + 1);
    ASSERT_TRUE(waitFor([&] {
        for (const auto& r : records)
            if (r.text.empty()) return false;
        return true;
    }));
    const auto began = std::chrono::steady_clock::now();
    api_->instance_destroy(instance);
    EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
    std::lock_guard<std::mutex> lock(recordMutex);
    for (const auto& r : records) {
        EXPECT_EQ(r.finishes, 1);
        EXPECT_FALSE(r.code.empty());  // not a success: the answer was cut off
        EXPECT_FALSE(r.textAfterFinish);
    }
    // Every upstream connection was closed (the mock notices within its 20 ms ping period).
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (mock.clientsGone() < records.size() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    EXPECT_EQ(mock.clientsGone(), records.size());
}

TEST_F(ClaudeAbi, CancelRacingWithTheAnswerFinishesExactlyOnce) {
    MockAnthropic mock;
    mock.setDefault(streamPieces({"a", "b", "c"}));
    auto instance = newInstance(settingsFor(mock));
    ASSERT_NE(instance, nullptr);
    std::vector<Recorded> records(60);
    for (std::size_t i = 0; i < records.size(); ++i) {
        start(instance, records[i], i + 1);
        // Cancel some at once, some a little later, some never.
        if (i % 3 == 1) std::this_thread::sleep_for(std::chrono::milliseconds(i % 7));
        if (i % 3 != 2) api_->request_cancel(instance, records[i].context, AGENTHOST_CANCEL_CLIENT);
    }
    EXPECT_TRUE(waitFor([&] {
        for (const auto& r : records)
            if (r.finishes == 0) return false;
        return true;
    }));
    release(instance, records);
    api_->instance_destroy(instance);
    std::lock_guard<std::mutex> lock(recordMutex);
    for (std::size_t i = 0; i < records.size(); ++i) {
        EXPECT_EQ(records[i].finishes, 1) << i;
        EXPECT_FALSE(records[i].textAfterFinish) << i;
        if (i % 3 == 2) {
            EXPECT_EQ(records[i].code, "") << i;
            EXPECT_EQ(records[i].text, "abc") << i;
        }
    }
}

}  // namespace
}  // namespace agenthost::test
