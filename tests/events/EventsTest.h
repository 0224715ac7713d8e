// Shared by the event and approval tests: a host whose echo routes show events and ask for
// approval, and checks on event frames.
#pragma once

#include <string>

#include "conversations/ConversationTest.h"

namespace agenthost::test {

// Routes, all served by echo:
//   /api/events/ws  events = true (a thinking and a status event before the text)
//   /api/plain/ws   no events
//   /api/ask/ws     ask_approval = true, approval_timeout_s = 60
//   /api/quick/ws   ask_approval = true, approval_timeout_s = 1
//   /api/lenient/ws ask_approval = true, approval_timeout_s = 1, approval_policy = accept
inline HostConfig eventsConfig() {
    HostConfig config;
    config.sections = "[key.test]\nsecret = " + std::string(kTestKey) +
                      "\n\n[plugin.events]\nlibrary = echo\nevents = true\n"
                      "\n[plugin.plain]\nlibrary = echo\n"
                      "\n[plugin.ask]\nlibrary = echo\nask_approval = true\n"
                      "approval_timeout_s = 60\n"
                      "\n[plugin.quick]\nlibrary = echo\nask_approval = true\n"
                      "approval_timeout_s = 1\n"
                      "\n[plugin.lenient]\nlibrary = echo\nask_approval = true\n"
                      "approval_timeout_s = 1\napproval_policy = accept\n";
    return config;
}

inline std::string kindOf(const FramePtr& frame) {
    return frame->optValue<std::string>("kind", "");
}
inline bool isEvent(const FramePtr& frame, const std::string& kind) {
    return typeOf(frame) == "event" && kindOf(frame) == kind;
}
inline WsClient::FramePredicate isEventOf(const std::string& kind) {
    return [kind](const FramePtr& frame) { return isEvent(frame, kind); };
}

// The frames' types, events as "event:<kind>".
inline std::vector<std::string> shapeOf(const Frames& frames) {
    std::vector<std::string> shape;
    for (const auto& frame : frames)
        shape.push_back(typeOf(frame) == "event" ? "event:" + kindOf(frame) : typeOf(frame));
    return shape;
}

inline std::vector<std::int64_t> seqsOf(const Frames& frames) {
    std::vector<std::int64_t> seqs;
    for (const auto& frame : frames) seqs.push_back(seqOf(frame));
    return seqs;
}

inline std::string approveFrame(const std::string& approvalId, const std::string& decision) {
    return R"({"type":"approve","approval_id":")" + approvalId + R"(","decision":")" + decision +
           R"("})";
}

inline std::string approvalIdOf(const FramePtr& approvalRequest) {
    return approvalRequest->getObject("data")->getValue<std::string>("approval_id");
}

}  // namespace agenthost::test
