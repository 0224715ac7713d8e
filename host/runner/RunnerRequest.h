// One request inside a plugin runner process: the handle the plugin gets from request_start.
// It owns the request's text (valid until the runner releases it, longer than the ABI asks),
// sends every callback to the host as a frame, and answers emits from what the host last told
// it (a Status frame, or the reason of a cancel), so a plugin never waits for a round trip.
#pragma once

#include <agenthost/plugin_abi.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "plugin/HostApi.h"
#include "runner/Frames.h"
#include "runner/RunnerLink.h"

namespace agenthost::runner {

class RunnerRequest final : public agenthost_request_host {
  public:
    // Reads a Start frame's fields (after the id).
    RunnerRequest(RunnerLink& link, std::uint64_t id, FrameReader& start);

    const agenthost_request& raw() const { return raw_; }
    std::uint64_t id() const { return id_; }
    agenthost_request_plugin_ptr context = nullptr;

    // What emits return from now on (AGENTHOST_EMIT_*).
    void setStatus(std::uint32_t status) { status_.store(status); }

    std::uint32_t onText(std::string_view text) override;
    std::uint32_t onEvent(std::string_view kind, std::string_view content,
                          std::string_view data) override;
    std::uint32_t onApprovalRequest(std::uint64_t cookie, std::string_view action,
                                    std::string_view content, std::string_view detail) override;
    void onUsage(std::uint64_t in, std::uint64_t out) override;
    void onStopReason(std::string_view reason) override;
    void onSessionState(std::string_view state) override;
    void onTurnData(std::string_view data) override;
    void onCacheUsage(std::uint64_t creation, std::uint64_t read) override;
    // The host does not pass SLOW_DOWN on to a runner (docs/architecture.md), so there is
    // nothing to wait for: what an emit would return now.
    std::uint32_t onWaitWritable(std::uint64_t timeoutMs) override;
    void onLog(std::uint32_t level, std::string_view message) override;
    void onFinish(std::string_view code, std::string_view message) override;

  private:
    RunnerLink& link_;
    std::uint64_t id_;
    std::atomic<std::uint32_t> status_{AGENTHOST_EMIT_OK};
    std::string route_, conversation_, key_, message_, state_;
    std::vector<std::string> historyText_;  // role, content, role, content, ...
    std::vector<agenthost_turn> history_;
    std::vector<std::string> historyDataText_;  // each history turn's set_turn_data blob
    std::vector<agenthost_str> historyData_;
    agenthost_request raw_{};
};

}  // namespace agenthost::runner
