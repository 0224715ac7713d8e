#include "runner/RunnerRequest.h"

#include <algorithm>
#include <chrono>

#include "protocol/EventKinds.h"
#include "protocol/Frames.h"

namespace agenthost::runner {
namespace {

agenthost_str view(const std::string& s) {
    return {s.c_str(), s.size()};
}

}  // namespace

RunnerRequest::RunnerRequest(RunnerLink& link, std::uint64_t id, FrameReader& start,
                             bool honorsSlowDown)
    : link_(link), id_(id), honorsSlowDown_(honorsSlowDown) {
    raw_.struct_size = sizeof raw_;
    raw_.request_id = id;
    raw_.flags = start.u32();
    raw_.turn = start.u32();
    raw_.timeout_ms = start.u64();
    route_ = start.str();
    conversation_ = start.str();
    key_ = start.str();
    message_ = start.str();
    state_ = start.str();
    const std::uint32_t turns = start.u32();
    for (std::uint32_t i = 0; i < turns && start.ok(); ++i) {
        historyText_.emplace_back(start.str());
        historyText_.emplace_back(start.str());
        historyDataText_.emplace_back(start.str());
    }
    for (std::size_t i = 0; i + 1 < historyText_.size(); i += 2)
        history_.push_back({view(historyText_[i]), view(historyText_[i + 1])});
    for (const std::string& data : historyDataText_) historyData_.push_back(view(data));
    raw_.route = view(route_);
    raw_.conversation_id = view(conversation_);
    raw_.key_name = view(key_);
    raw_.message = view(message_);
    raw_.session_state = view(state_);
    raw_.history = history_.data();
    raw_.history_count = history_.size();
    raw_.history_turn_data = historyData_.data();
}

void RunnerRequest::setStatus(std::uint32_t status) {
    {
        std::lock_guard<std::mutex> lock(paceMutex_);
        status_.store(status);
    }
    paced_.notify_all();
}

void RunnerRequest::setSlowed(bool slowed) {
    {
        std::lock_guard<std::mutex> lock(paceMutex_);
        slowed_.store(slowed);
    }
    paced_.notify_all();
}

std::uint32_t RunnerRequest::accepted() {
    const std::uint32_t status = onWritableNow();
    return status == AGENTHOST_EMIT_SLOW_DOWN && !honorsSlowDown_ ? AGENTHOST_EMIT_OK : status;
}

void RunnerRequest::letThrough(bool on) {
    {
        std::lock_guard<std::mutex> lock(paceMutex_);
        letThrough_.store(on);
    }
    paced_.notify_all();
}

void RunnerRequest::holdWhileSlowed() {
    if (plugin::insideHostCall()) return;
    std::unique_lock<std::mutex> lock(paceMutex_);
    paced_.wait(lock, [&] {
        return !slowed_.load() || status_.load() != AGENTHOST_EMIT_OK || letThrough_.load();
    });
}

std::uint32_t RunnerRequest::onText(std::string_view text) {
    // In pieces, so that neither side holds a frame of the whole of a huge emit. A plugin that
    // does not honour SLOW_DOWN is held before each while the readers are behind; one that does
    // is told so when the emit returns (as in the host's process, its one emit goes whole).
    do {
        if (!honorsSlowDown_) holdWhileSlowed();
        const std::uint32_t status = status_.load();
        if (status != AGENTHOST_EMIT_OK) return status;
        const auto piece = text.substr(0, kTextPieceBytes);
        FrameWriter frame(FrameType::Text);
        frame.u64(id_).str(piece);
        link_.send(frame);
        text.remove_prefix(piece.size());
    } while (!text.empty());
    return accepted();
}

std::uint32_t RunnerRequest::onEvent(std::string_view kind, std::string_view content,
                                     std::string_view data) {
    // The host's own checks, here so the plugin hears INVALID at once.
    const auto named = protocol::eventKindNamed(kind);
    if (!named || *named == protocol::EventKind::ApprovalRequest) return AGENTHOST_EMIT_INVALID;
    if (!protocol::compactJsonObject(data)) return AGENTHOST_EMIT_INVALID;
    if (!honorsSlowDown_) holdWhileSlowed();
    const std::uint32_t status = status_.load();
    if (status != AGENTHOST_EMIT_OK) return status;
    FrameWriter frame(FrameType::Event);
    frame.u64(id_).str(kind).str(content).str(data);
    link_.send(frame);
    return accepted();
}

std::uint32_t RunnerRequest::onApprovalRequest(std::uint64_t cookie, std::string_view action,
                                               std::string_view content, std::string_view detail) {
    if (action != "command" && action != "file_change") return AGENTHOST_EMIT_INVALID;
    if (!protocol::compactJsonObject(detail)) return AGENTHOST_EMIT_INVALID;
    const std::uint32_t status = status_.load();
    if (status != AGENTHOST_EMIT_OK) return status;
    if ((raw_.flags & AGENTHOST_REQUEST_CAN_ASK_APPROVAL) == 0) return AGENTHOST_EMIT_UNSUPPORTED;
    FrameWriter frame(FrameType::Approval);
    frame.u64(id_).u64(cookie).str(action).str(content).str(detail);
    link_.send(frame);
    return accepted();
}

void RunnerRequest::onUsage(std::uint64_t in, std::uint64_t out) {
    FrameWriter frame(FrameType::Usage);
    frame.u64(id_).u64(in).u64(out);
    link_.send(frame);
}

void RunnerRequest::onStopReason(std::string_view reason) {
    FrameWriter frame(FrameType::StopReason);
    frame.u64(id_).str(reason);
    link_.send(frame);
}

void RunnerRequest::onSessionState(std::string_view state) {
    FrameWriter frame(FrameType::SessionState);
    frame.u64(id_).str(state);
    link_.send(frame);
}

void RunnerRequest::onTurnData(std::string_view data) {
    FrameWriter frame(FrameType::TurnData);
    frame.u64(id_).str(data);
    link_.send(frame);
}

void RunnerRequest::onCacheUsage(std::uint64_t creation, std::uint64_t read) {
    FrameWriter frame(FrameType::CacheUsage);
    frame.u64(id_).u64(creation).u64(read);
    link_.send(frame);
}

std::uint32_t RunnerRequest::onWaitWritable(std::uint64_t timeoutMs) {
    // The main thread reads the Pace frame that would end the wait (RunnerMain.cpp marks it).
    if (plugin::insideHostCall()) return AGENTHOST_EMIT_OK;
    const auto settled = [&] { return !slowed_.load() || status_.load() != AGENTHOST_EMIT_OK; };
    std::unique_lock<std::mutex> lock(paceMutex_);
    if (timeoutMs == 0)
        paced_.wait(lock, settled);
    else
        paced_.wait_for(lock,
                        std::chrono::milliseconds(std::min<std::uint64_t>(timeoutMs, 1ull << 40)),
                        settled);
    return onWritableNow();
}

std::uint32_t RunnerRequest::onWritableNow() {
    const std::uint32_t status = status_.load();
    if (status != AGENTHOST_EMIT_OK) return status;
    return slowed_.load() ? AGENTHOST_EMIT_SLOW_DOWN : AGENTHOST_EMIT_OK;
}

void RunnerRequest::onLog(std::uint32_t level, std::string_view message) {
    FrameWriter frame(FrameType::RequestLog);
    frame.u64(id_).u32(level).str(message);
    link_.send(frame);
}

void RunnerRequest::onFinish(std::string_view code, std::string_view message) {
    FrameWriter frame(FrameType::Finish);
    frame.u64(id_).str(code).str(message);
    std::lock_guard<std::mutex> lock(paceMutex_);  // retire() waits for it
    link_.send(frame);
}

void RunnerRequest::retire() {
    std::lock_guard<std::mutex> lock(paceMutex_);
}

}  // namespace agenthost::runner
