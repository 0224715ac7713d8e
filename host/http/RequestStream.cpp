#include "http/RequestStream.h"

#include "http/Backend.h"
#include "http/FrontEnd.h"
#include "http/Response.h"
#include "http/Upgrade.h"
#include "log/AccessLog.h"

namespace agenthost::http {
namespace {

// The access line of one answer (log/AccessLog.h); `request` is null when its head could not
// be read.
void logAnswer(const net::Connection& connection, const PlainRequest* request, int status,
               net::Clock::time_point since) {
    agenthost::log::HttpAccess access;
    access.client = connection.peerHost();
    if (request) {
        access.method = request->method;
        access.path = request->path;
        access.query = request->query;
    }
    access.status = status;
    access.durationMs =
        std::chrono::duration<double, std::milli>(net::Clock::now() - since).count();
    agenthost::log::logHttp(access);
}

// Pipelined requests answered in one turn of the loop; the rest wait for the next tick, so one
// connection's burst does not hold the loop (an answer may cost tens of microseconds).
constexpr int kAnswersPerTurn = 32;
// Received bytes waiting for an answer beyond these: the client pipelines far more than it
// reads, and is refused.
constexpr std::size_t kMaxWaitingBytes = 64 * 1024;

}  // namespace

RequestStream::RequestStream(FrontEnd& front, StreamLimits limits, net::Clock::time_point accepted)
    : front_(front),
      limits_(limits),
      parser_(limits.head),
      deadline_(accepted + limits.headTimeout) {}

void RequestStream::onBytes(net::Connection& connection, std::string_view bytes,
                            net::Clock::time_point now) {
    if (done_) return;
    if (idle_) {  // the first byte of the next head starts its clock
        idle_ = false;
        deadline_ = now + limits_.headTimeout;
    }
    buffer_.append(bytes);
    readHeads(connection, now);
}

void RequestStream::readHeads(net::Connection& connection, net::Clock::time_point now) {
    for (int answered = 0; !done_ && !buffer_.empty(); ++answered) {
        if (answering_ && answering_->load()) return;  // tickSoon() goes on after the answer
        if (buffer_.size() > kMaxWaitingBytes) {
            logAnswer(connection, nullptr, 429, now);
            refuse(connection,
                   errorResponse(429, "too_many_requests", "too many pipelined requests"));
            return;
        }
        if (answered == kAnswersPerTurn) return;  // the rest on the next tick
        HeadResult result = parser_.parse(buffer_);
        if (result.state == HeadResult::State::NeedMore) return;
        if (result.state == HeadResult::State::Refused) {
            logAnswer(connection, nullptr, result.refusal.status, now);
            refuse(connection, result.refusal);
            return;
        }
        if (!answer(connection, result.head, result.consumed, now)) return;
        buffer_.erase(0, result.consumed);
        parser_.reset();
        if (buffer_.empty()) {
            idle_ = true;
            deadline_ = now + limits_.keepAliveTimeout;
        } else {
            deadline_ = now + limits_.headTimeout;  // a pipelined head is already arriving
        }
    }
}

bool RequestStream::answer(net::Connection& connection, Head& head, std::size_t headBytes,
                           net::Clock::time_point now) {
    head.request.clientAddress = connection.peerHost();
    const std::string route = webSocketRoute(head.request.path);
    if (route.empty()) {
        const Router::Entry* entry = front_.router().find(head.request);
        if (entry && entry->blocking) {
            answerOnWorker(connection, *entry, head, now);
            return true;
        }
        const PlainResponse response = front_.router().handle(head.request);
        logAnswer(connection, &head.request, response.status, now);
        // A refusal closes the connection, whatever the client asked for.
        const bool keepAlive = head.keepAlive && response.status < 400;
        connection.sendRaw(serialize(response, keepAlive, head.request.method == "HEAD"));
        if (keepAlive) return true;
        done_ = true;
        connection.closeAfterSending();
        return false;
    }
    UpgradeDecision decision = decideUpgrade(head, route, front_.backend());
    if (!decision.refusal && !decision.bearerKeyName)
        decision.refusal = front_.admitKeyless(connection);
    logAnswer(connection, &head.request, decision.refusal ? decision.refusal->status : 101, now);
    if (decision.refusal) {
        refuse(connection, *decision.refusal);
        return false;
    }
    done_ = true;
    connection.sendRaw(serialize(decision.switching, true, false));
    auto session =
        front_.backend().adopt(connection.shared_from_this(), std::move(decision.instance),
                               decision.bearerKeyName, head.request.query);
    if (!session) {
        connection.abort("the server is stopping");
        return false;
    }
    // Bytes after the head are the client's first WebSocket frames.
    const std::string leftover = buffer_.substr(headBytes);
    buffer_.clear();
    connection.upgrade(std::move(session), leftover, now);  // destroys this stream
    return false;
}

void RequestStream::answerOnWorker(net::Connection& connection, const Router::Entry& entry,
                                   Head& head, net::Clock::time_point received) {
    answering_ = std::make_shared<std::atomic<bool>>(true);
    front_.backend().runBlocking([answering = answering_,
                                  connection = connection.shared_from_this(),
                                  endpoint = entry.endpoint, request = std::move(head.request),
                                  keepAliveAsked = head.keepAlive, received] {
        const PlainResponse response = endpoint(request);
        logAnswer(*connection, &request, response.status, received);
        const bool keepAlive = keepAliveAsked && response.status < 400;
        connection->sendRaw(serialize(response, keepAlive, request.method == "HEAD"));
        if (!keepAlive) connection->closeAfterSending();
        answering->store(false);
        connection->tickSoon();  // requests pipelined behind this one go on at once
    });
}

void RequestStream::refuse(net::Connection& connection, const PlainResponse& response) {
    done_ = true;
    buffer_.clear();
    connection.sendRaw(serialize(response, false, false));
    connection.closeAfterSending();
}

void RequestStream::onTick(net::Connection& connection, net::Clock::time_point now) {
    if (answering_ && answering_->load()) return;  // no time limit while we answer
    if (!done_ && !idle_ && !buffer_.empty()) readHeads(connection, now);
    if (done_ || now < deadline_) return;
    if (idle_) {  // nothing more was asked: hang up quietly
        done_ = true;
        connection.closeAfterSending();
        return;
    }
    logAnswer(connection, nullptr, 408, now);
    refuse(connection,
           errorResponse(408, "request_timeout", "the request head did not arrive in time"));
}

}  // namespace agenthost::http
