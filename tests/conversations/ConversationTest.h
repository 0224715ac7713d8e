// Shared by the conversation tests (protocol 2): a host with three keys and two echo routes,
// connections that start or resume conversations, the HTTP API with a key, and frame checks.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/HostProcess.h"
#include "support/Http.h"
#include "support/Transcript.h"
#include "support/Wait.h"
#include "support/WsClient.h"

namespace agenthost::test {

using namespace std::chrono_literals;
using FramePtr = Poco::JSON::Object::Ptr;
using Frames = std::vector<FramePtr>;

// Key names: "test" (kTestKey), "other" and "third".
inline constexpr const char* kOtherKey = "other-key-0123456789";
inline constexpr const char* kThirdKey = "third-key-0123456789";

// A host with three keys and two routes served by the echo plugin: /api/echo/ws with
// `echoSettings` and /api/slow/ws with `slowSettings` (by default 20 pieces 50 ms apart).
// `conversations` goes into a [conversations] section when not empty.
inline HostConfig conversationConfig(const std::string& slowSettings =
                                         "repeat = 20\n"
                                         "interval_ms = 50\n",
                                     const std::string& echoSettings = "",
                                     const std::string& conversations = "") {
    HostConfig config;
    config.sections =
        "[key.test]\nsecret = " + std::string(kTestKey) + "\n\n[key.other]\nsecret = " + kOtherKey +
        "\n\n[key.third]\nsecret = " + kThirdKey + "\n\n[plugin.echo]\nlibrary = echo\n" +
        echoSettings + "\n[plugin.slow]\nlibrary = echo\n" + slowSettings + "\n";
    if (!conversations.empty()) config.sections += "[conversations]\n" + conversations + "\n";
    return config;
}

inline std::string typeOf(const FramePtr& frame) {
    return frame->optValue<std::string>("type", "");
}
inline std::string codeOf(const FramePtr& frame) {
    return frame->optValue<std::string>("code", "");
}
inline int turnOf(const FramePtr& frame) {
    return frame->has("turn") ? frame->getValue<int>("turn") : -1;
}
inline std::string conversationIdOf(const FramePtr& frame) {
    return frame->optValue<std::string>("conversation_id", "");
}

// `text` `times` times over: what the echo plugin answers with `repeat = times`.
inline std::string repeated(const std::string& text, int times) {
    std::string all;
    for (int i = 0; i < times; ++i) all += text;
    return all;
}

// The frame as JSON with sorted keys and without "replay": what replay must reproduce exactly.
inline std::string canonical(const FramePtr& frame) {
    Poco::JSON::Object copy(*frame);
    copy.remove("replay");
    std::ostringstream out;
    copy.stringify(out);
    return out.str();
}

// ---- Frame predicates for WsClient::readUntil.
inline WsClient::FramePredicate isType(const std::string& type) {
    return [type](const FramePtr& frame) { return typeOf(frame) == type; };
}
// The complete or error frame of turn `turn`.
inline WsClient::FramePredicate terminalOfTurn(int turn) {
    return [turn](const FramePtr& frame) {
        const std::string type = typeOf(frame);
        return (type == "complete" || type == "error") && turnOf(frame) == turn;
    };
}
inline WsClient::FramePredicate seqAtLeast(std::int64_t seq) {
    return [seq](const FramePtr& frame) { return seqOf(frame) >= seq; };
}
inline WsClient::FramePredicate errorWithCode(const std::string& code) {
    return
        [code](const FramePtr& frame) { return typeOf(frame) == "error" && codeOf(frame) == code; };
}

// What a client renders from `frames`, read on one connection that resumed after `afterSeq`.
inline Transcript transcriptOf(const Frames& frames, std::int64_t afterSeq = 0) {
    Transcript transcript;
    transcript.beginConnection(afterSeq);
    for (const auto& frame : frames) transcript.take(frame);
    return transcript;
}

// No gap, nothing out of order.
inline void expectNoProblems(const Transcript& transcript) {
    EXPECT_TRUE(transcript.problems().empty()) << testing::PrintToString(transcript.problems());
}

// After a crash: seqs rise by one, except that the first `interrupted` frame recovery wrote
// jumps past every seq the dead host may have sent (it reserved them ahead), so that no seq a
// client saw live is ever given to another frame. That jump is the only gap allowed.
inline void expectNoGapExceptBeforeInterrupted(const Frames& frames) {
    std::int64_t previous = 0;
    bool jumped = false;
    for (const auto& frame : frames) {
        const std::int64_t seq = seqOf(frame);
        const bool recovery = typeOf(frame) == "error" && codeOf(frame) == "interrupted";
        if (recovery && !jumped && seq > previous) {
            jumped = true;
        } else {
            EXPECT_EQ(seq, previous + 1) << "after seq " << previous << ": " << canonical(frame);
        }
        previous = seq;
    }
}

// ---- Connections.
inline std::string protocol2Path(const std::string& route) {
    return "/api/" + route + "/ws?protocol=2";
}
inline std::string resumePath(const std::string& route, const std::string& conversationId,
                              std::int64_t afterSeq) {
    return protocol2Path(route) + "&conversation=" + conversationId +
           "&after_seq=" + std::to_string(afterSeq);
}

// A connection and the ready frame it got.
struct Connection {
    std::unique_ptr<WsClient> client;
    FramePtr ready;

    std::string conversationId() const { return conversationIdOf(ready); }
    std::int64_t lastSeq() const { return ready->getValue<std::int64_t>("last_seq"); }
    WsClient* operator->() const { return client.get(); }
};

// Opens `path` and authenticates with `key` as the first frame.
inline Connection connectTo(const HostProcess& host, const std::string& path,
                            const std::string& key = kTestKey) {
    Connection connection;
    connection.client = std::make_unique<WsClient>(host.port(), path);
    connection.ready = connection.client->authenticate(key);
    return connection;
}

// A protocol 2 connection on a new conversation of `route`.
inline Connection startConversation(const HostProcess& host, const std::string& route = "echo",
                                    const std::string& key = kTestKey) {
    return connectTo(host, protocol2Path(route), key);
}

// A connection that resumes `conversationId` after `afterSeq` by the upgrade URL.
inline Connection resumeByUrl(const HostProcess& host, const std::string& route,
                              const std::string& conversationId, std::int64_t afterSeq,
                              const std::string& key = kTestKey) {
    return connectTo(host, resumePath(route, conversationId, afterSeq), key);
}

// Sends the resume frame and reads nothing.
inline void sendResumeFrameOnly(WsClient& client, const std::string& conversationId,
                                std::int64_t afterSeq) {
    client.sendJson(R"({"type":"resume","conversation_id":")" + conversationId +
                    R"(","after_seq":)" + std::to_string(afterSeq) + "}");
}

// Sends the resume frame; returns the answer (the resumed frame, or an error frame).
inline FramePtr sendResume(WsClient& client, const std::string& conversationId,
                           std::int64_t afterSeq, std::chrono::milliseconds timeout = 10s) {
    sendResumeFrameOnly(client, conversationId, afterSeq);
    return client.receiveJson(timeout);
}

// Nothing arrives within `window`.
inline void expectSilence(WsClient& client, std::chrono::milliseconds window) {
    auto frame = client.receive(window);
    EXPECT_FALSE(frame.has_value()) << "unexpected frame: " << frame->payload;
}

// Waits until a resume of the conversation answers "running": false (no turn running, no
// message waiting). Each try attaches briefly with a resume frame: a WebSocket-only observer.
inline bool waitUntilNotRunning(const HostProcess& host, const std::string& route,
                                const std::string& conversationId,
                                std::chrono::milliseconds timeout = 30s) {
    return waitUntil(
        [&] {
            auto probe = startConversation(host, route);
            auto resumed = sendResume(*probe.client, conversationId, 0);
            return typeOf(resumed) == "resumed" && resumed->has("running") &&
                   !resumed->getValue<bool>("running");
        },
        timeout);
}

// The number of open WebSocket connections /api/health reports over all routes.
inline int healthConnections(const HostProcess& host) {
    auto connections = parseJson(host.get("/api/health").body)->getObject("connections");
    int total = 0;
    for (const auto& [route, count] : *connections) total += count.convert<int>();
    return total;
}

// ---- The HTTP API.
inline HttpResult api(const HostProcess& host, const std::string& method, const std::string& path,
                      const std::string& key = kTestKey) {
    return host.request(method, path, bearer(key));
}

// GET /api/conversations/<id> as JSON; null when the answer is not 200.
inline FramePtr getConversation(const HostProcess& host, const std::string& conversationId,
                                const std::string& key = kTestKey) {
    auto result = api(host, "GET", "/api/conversations/" + conversationId, key);
    if (result.status != 200) return nullptr;
    return parseJson(result.body);
}

// Waits until the API says the conversation has nothing running or waiting.
inline bool waitUntilIdle(const HostProcess& host, const std::string& conversationId,
                          std::chrono::milliseconds timeout = 30s) {
    return waitUntil(
        [&] {
            auto conversation = getConversation(host, conversationId);
            return conversation && conversation->has("running") &&
                   !conversation->getValue<bool>("running");
        },
        timeout);
}

}  // namespace agenthost::test
