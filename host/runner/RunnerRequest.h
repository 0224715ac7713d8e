// One request inside a plugin runner process: the handle the plugin gets from request_start.
// It owns the request's text (valid until the runner releases it, longer than the ABI asks),
// sends every callback to the host as a frame, and answers emits from what the host last told
// it (a Status frame, or the reason of a cancel), so a plugin never waits for a round trip.
// Backpressure is the host's to decide too: a Pace frame says the request's readers are behind,
// and from then on its emits answer SLOW_DOWN to a plugin that honours it, and wait_writable
// waits, until the next Pace frame says they caught up. A plugin that does not honour it is
// held inside its emits instead (between the pieces of a long text too), like a write to a
// full pipe. Only on the plugin's own threads: the runner's main thread, which reads the Pace
// frames, never waits, and while it is inside a call into the plugin (which may want a lock an
// emitting thread holds) every held emit is let through.
#pragma once

#include <agenthost/plugin_abi.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "plugin/HostApi.h"
#include "runner/Frames.h"
#include "runner/RunnerLink.h"

namespace agenthost::runner {

class RunnerRequest final : public agenthost_request_host {
  public:
    // Reads a Start frame's fields (after the id). `honorsSlowDown`: the plugin set
    // AGENTHOST_PLUGIN_HONORS_SLOW_DOWN, so its emits may answer SLOW_DOWN.
    RunnerRequest(RunnerLink& link, std::uint64_t id, FrameReader& start, bool honorsSlowDown);

    const agenthost_request& raw() const { return raw_; }
    std::uint64_t id() const { return id_; }
    agenthost_request_plugin_ptr context = nullptr;

    // What emits return from now on (AGENTHOST_EMIT_*); an ended status ends any wait.
    void setStatus(std::uint32_t status);
    // Whether the host says the request's readers are behind (a Pace frame).
    void setSlowed(bool slowed);
    // While the runner's main thread is inside a call into the plugin, held emits go through.
    void letThrough(bool on);
    // Before the request is deleted (the host's Release): the Finish frame that made the host
    // send it may still be on its way out of onFinish on the plugin's thread; this waits until
    // it is. The order through the host's process is one no thread sanitizer can see.
    void retire();

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
    // Waits while the host says the readers are behind, at most timeoutMs (0: no limit);
    // returns at once on the runner's main thread, which serves the host's frames.
    std::uint32_t onWaitWritable(std::uint64_t timeoutMs) override;
    std::uint32_t onWritableNow() override;
    void onLog(std::uint32_t level, std::string_view message) override;
    void onFinish(std::string_view code, std::string_view message) override;

  private:
    // What an emit the host will take returns: the ended status, SLOW_DOWN while slowed (to a
    // plugin that honours it), or OK.
    std::uint32_t accepted();
    // On a plugin thread: waits while the readers are behind and the request goes on.
    void holdWhileSlowed();

    RunnerLink& link_;
    std::uint64_t id_;
    const bool honorsSlowDown_;
    std::atomic<std::uint32_t> status_{AGENTHOST_EMIT_OK};
    std::atomic<bool> slowed_{false};
    std::atomic<bool> letThrough_{false};
    std::mutex paceMutex_;  // leaf: the waits on paced_, and onFinish before retire()
    std::condition_variable paced_;
    std::string route_, conversation_, key_, message_, state_;
    std::vector<std::string> historyText_;  // role, content, role, content, ...
    std::vector<agenthost_turn> history_;
    std::vector<std::string> historyDataText_;  // each history turn's set_turn_data blob
    std::vector<agenthost_str> historyData_;
    agenthost_request raw_{};
};

}  // namespace agenthost::runner
