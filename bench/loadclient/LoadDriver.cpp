#include "LoadDriver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace agenthost::bench {
namespace {

constexpr int kMaxEvents = 1024;

// `query` is "" or "?...".
std::string upgradeRequest(const Options& options, const std::string& query) {
    return "GET /api/" + options.route + "/ws" + query + " HTTP/1.1\r\nHost: " + options.host +
           ":" + std::to_string(options.port) +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

// The same text every time: letters only, so it needs no JSON escaping.
std::string messageContent(std::size_t chars) {
    std::string text(chars, 'x');
    for (std::size_t i = 0; i < chars; ++i) text[i] = static_cast<char>('a' + i % 26);
    return text;
}

int millisecondsUntil(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return static_cast<int>(std::clamp<long long>(left.count(), 0, 100));
}

}  // namespace

LoadDriver::LoadDriver(const Options& options)
    : options_(options),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      upgradeRequest_(upgradeRequest(options, options.protocol == 2 ? "?protocol=2" : "")) {
    if (epoll_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
    connections_.reserve(options.connections);
}

LoadDriver::~LoadDriver() {
    closeAll();
    ::close(epoll_);
}

void LoadDriver::noteFailure(const std::string& why) {
    ++failed_;
    ++failures_[why];
}

bool LoadDriver::openOne(const std::string& request) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        noteFailure(std::string("socket: ") + std::strerror(errno));
        return false;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(options_.port));
    ::inet_pton(AF_INET, options_.host.c_str(), &address.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0 &&
        errno != EINPROGRESS) {
        noteFailure(std::string("connect: ") + std::strerror(errno));
        ::close(fd);
        return false;
    }
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    event.data.u64 = connections_.size();
    auto tls = options_.tls ? std::make_unique<TlsClient>(fd) : nullptr;
    connections_.push_back(
        std::make_unique<ClientConnection>(fd, request, options_.key, std::move(tls)));
    if (options_.mode == Mode::Handshakes) connections_.back()->setHandshakeOnly();
    connections_.back()->setProtocol(options_.protocol);
    connections_.back()->setRepeat(options_.repeat);
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event);
    ++inSetup_;
    return true;
}

template <typename OnEvent>
void LoadDriver::pump(int timeoutMs, OnEvent&& onEvent) {
    epoll_event events[kMaxEvents];
    const int n = ::epoll_wait(epoll_, events, kMaxEvents, timeoutMs);
    for (int i = 0; i < n; ++i) {
        const std::uint64_t tag = events[i].data.u64;
        if (tag & StalledHeads::kTag) {
            stalled_->onEvent(static_cast<std::size_t>(tag & ~StalledHeads::kTag));
            continue;
        }
        const auto index = static_cast<std::size_t>(tag);
        if (!connections_[index]) continue;
        auto& connection = *connections_[index];
        const bool wasSettingUp = connection.settingUp();
        const auto event = connection.onEvents(events[i].events);
        if (wasSettingUp && !connection.settingUp()) --inSetup_;
        if (event == ClientConnection::Event::Failed) noteFailure(connection.error());
        onEvent(index, event);
    }
}

std::size_t LoadDriver::establish(std::size_t count, Clock::time_point deadline) {
    std::size_t opened = 0, ready = 0;
    const std::size_t failedBefore = failed_;
    while (Clock::now() < deadline) {
        while (opened < count && inSetup_ < options_.window) {
            ++opened;
            openOne(upgradeRequest_);
        }
        if (ready + (failed_ - failedBefore) >= count) break;
        pump(millisecondsUntil(deadline), [&](std::size_t, ClientConnection::Event event) {
            if (event == ClientConnection::Event::BecameReady) ++ready;
        });
    }
    return ready;
}

void LoadDriver::serviceFor(Clock::duration duration) {
    const auto until = Clock::now() + duration;
    while (Clock::now() < until) pump(millisecondsUntil(until), [](std::size_t, auto) {});
}

EchoResult LoadDriver::echo(std::size_t messages, Clock::time_point deadline) {
    const std::string content = messageContent(options_.payloadChars);
    const std::string frame = "{\"content\":\"" + content + "\"}";
    std::vector<std::size_t> remaining(connections_.size(), 0);
    std::vector<char> active(connections_.size(), 0);
    std::size_t running = 0;
    const auto stop = [&](std::size_t index) {
        active[index] = 0;
        --running;
    };
    EchoResult result;
    result.latenciesUs.reserve(messages * connections_.size());

    const auto start = Clock::now();
    for (std::size_t i = 0; i < connections_.size(); ++i) {
        if (connections_[i]->phase() != ClientConnection::Phase::Ready || messages == 0) continue;
        remaining[i] = messages - 1;
        active[i] = 1;
        ++running;
        if (connections_[i]->sendMessage(content, frame) == ClientConnection::Event::Failed) {
            noteFailure(connections_[i]->error());
            stop(i);
        }
    }
    while (running > 0 && Clock::now() < deadline) {
        pump(millisecondsUntil(deadline), [&](std::size_t index, ClientConnection::Event event) {
            auto& connection = *connections_[index];
            if (!active[index]) return;
            if (event == ClientConnection::Event::Failed) return stop(index);
            if (event != ClientConnection::Event::RoundTripDone) return;
            const auto took = Clock::now() - connection.sentAt();
            result.latenciesUs.push_back(std::chrono::duration<double, std::micro>(took).count());
            ++result.roundTrips;
            if (remaining[index] == 0) return stop(index);
            --remaining[index];
            if (connection.sendMessage(content, frame) == ClientConnection::Event::Failed) {
                noteFailure(connection.error());
                stop(index);
            }
        });
    }
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return result;
}

ResumeResult LoadDriver::resume(const std::string& conversationId, std::size_t count,
                                Clock::time_point deadline) {
    const bool byUrl = options_.resumeBy == ResumeBy::Url;
    const std::string request =
        byUrl ? upgradeRequest(options_, "?protocol=2&conversation=" + conversationId +
                                             "&after_seq=" + std::to_string(options_.afterSeq))
              : upgradeRequest_;
    ResumeResult result;
    for (std::size_t i = 0; i < count && Clock::now() < deadline; ++i) {
        const std::size_t index = connections_.size();
        if (!openOne(request)) break;
        auto& connection = *connections_[index];
        if (byUrl) connection.expectReplayAfterReady(options_.afterSeq);
        // By frame, the timing starts at the resume frame, once the connection is ready.
        if (!byUrl) {
            establishOne(index, deadline);
            if (connection.phase() != ClientConnection::Phase::Ready) break;
            if (connection.sendResume(conversationId, options_.afterSeq) ==
                ClientConnection::Event::Failed) {
                noteFailure(connection.error());
                break;
            }
        }
        if (!awaitEvent(index, ClientConnection::Event::ReplayDone, deadline,
                        "the replay did not finish in time"))
            break;
        const auto took = Clock::now() - connection.sentAt();
        result.millis.push_back(std::chrono::duration<double, std::milli>(took).count());
        result.frames = connection.replayed();
        ++result.done;
        connection.close();
    }
    return result;
}

void LoadDriver::establishOne(std::size_t index, Clock::time_point deadline) {
    bool ready = false;
    while (!ready && connections_[index]->settingUp() && Clock::now() < deadline)
        pump(millisecondsUntil(deadline), [&](std::size_t at, ClientConnection::Event event) {
            if (at == index && event == ClientConnection::Event::BecameReady) ready = true;
        });
}

bool LoadDriver::awaitEvent(std::size_t index, ClientConnection::Event wanted,
                            Clock::time_point deadline, const char* late) {
    bool done = false, failed = false;
    while (!done && !failed && Clock::now() < deadline)
        pump(millisecondsUntil(deadline), [&](std::size_t at, ClientConnection::Event event) {
            if (at != index) return;
            if (event == wanted) done = true;
            if (event == ClientConnection::Event::Failed) failed = true;
        });
    if (!done && !failed) noteFailure(late);
    return done;
}

std::size_t LoadDriver::holdStalledHeads(std::size_t count) {
    stalled_ = std::make_unique<StalledHeads>(epoll_, options_.host, options_.port, options_.route);
    return stalled_->open(count);
}

ProbeResult LoadDriver::probe(std::size_t count, Clock::time_point deadline) {
    const std::string content = messageContent(options_.payloadChars);
    const std::string frame = "{\"content\":\"" + content + "\"}";
    ProbeResult result;
    for (std::size_t i = 0; i < count && Clock::now() < deadline; ++i) {
        const auto began = Clock::now();
        const std::size_t index = connections_.size();
        if (!openOne(upgradeRequest_)) continue;
        auto& connection = *connections_[index];
        if (awaitEvent(index, ClientConnection::Event::BecameReady, deadline,
                       "not ready in time")) {
            if (connection.sendMessage(content, frame) == ClientConnection::Event::Failed)
                noteFailure(connection.error());
            else if (awaitEvent(index, ClientConnection::Event::RoundTripDone, deadline,
                                "no echo in time"))
                result.millis.push_back(
                    std::chrono::duration<double, std::milli>(Clock::now() - began).count());
        }
        if (connection.settingUp()) --inSetup_;
        connections_[index].reset();
    }
    result.done = result.millis.size();
    return result;
}

HandshakeResult LoadDriver::handshakes(std::size_t count, Clock::time_point deadline) {
    std::size_t opened = 0;
    const std::size_t failedBefore = failed_;
    HandshakeResult result;
    const auto start = Clock::now();
    while (Clock::now() < deadline) {
        while (opened < count && inSetup_ < options_.window) {
            ++opened;
            openOne(upgradeRequest_);
        }
        if (result.done + (failed_ - failedBefore) >= count) break;
        pump(millisecondsUntil(deadline), [&](std::size_t index, ClientConnection::Event event) {
            if (event != ClientConnection::Event::HandshakeDone &&
                event != ClientConnection::Event::Failed)
                return;
            if (event == ClientConnection::Event::HandshakeDone) ++result.done;
            connections_[index].reset();  // frees its TLS state; the index is not reused
        });
    }
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return result;
}

std::vector<std::string> LoadDriver::conversationIds() const {
    std::vector<std::string> ids;
    ids.reserve(connections_.size());
    for (const auto& connection : connections_)
        ids.push_back(connection ? connection->conversationId() : "");
    return ids;
}

void LoadDriver::closeAll() {
    for (auto& connection : connections_)
        if (connection) connection->close();
    connections_.clear();
    stalled_.reset();
    inSetup_ = 0;
}

}  // namespace agenthost::bench
