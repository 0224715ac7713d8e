#include "net/EventLoop.h"

#include <Poco/Logger.h>
#include <Poco/Net/SocketAddress.h>

namespace agenthost::net {
namespace {

// Timeouts (auth, ping, send, close) are checked this often; each check visits every
// connection, so it is a balance between precision and idle CPU.
constexpr auto kTickInterval = std::chrono::milliseconds(250);

}  // namespace

EventLoop::EventLoop() : wakeSocket_(Poco::Net::SocketAddress("127.0.0.1", 0), false) {
    wakeSocket_.setBlocking(false);
    pollSet_.add(wakeSocket_, Poco::Net::PollSet::POLL_READ);
}

EventLoop::~EventLoop() {
    stop();
}

void EventLoop::start() {
    running_ = true;
    thread_ = std::thread([this] { run(); });
}

void EventLoop::stop() {
    if (!thread_.joinable()) return;
    running_ = false;
    wake();
    thread_.join();
}

void EventLoop::post(std::function<void()> command) {
    {
        std::lock_guard<std::mutex> lock(commandsMutex_);
        commands_.push_back(std::move(command));
    }
    wake();
}

void EventLoop::wake() {
    if (wakePending_.exchange(true)) return;  // one datagram in flight is enough
    try {
        wakeSocket_.sendTo("w", 1, wakeSocket_.address());
    } catch (const Poco::Exception& e) {
        wakePending_ = false;
        Poco::Logger::get("agenthost.net").error("cannot wake the event loop: " + e.displayText());
    }
}

void EventLoop::add(std::shared_ptr<Connection> connection) {
    count_.fetch_add(1);
    post([this, connection = std::move(connection)] {
        try {
            pollSet_.add(connection->socket(), Poco::Net::PollSet::POLL_READ);
        } catch (const Poco::Exception& e) {
            Poco::Logger::get("agenthost.net")
                .error("cannot poll a new connection: " + e.displayText());
            connection->finalize();
            count_.fetch_sub(1);
            return;
        }
        connections_[connection->socket().impl()->sockfd()] = connection;
        connection->registered();
        removeIfFinished(connection);
    });
}

void EventLoop::attention(std::shared_ptr<Connection> connection) {
    post([this, connection = std::move(connection)] { removeIfFinished(connection); });
}

void EventLoop::shutdownAll() {
    post([this] {
        for (auto& [fd, connection] : connections_) connection->onShutdown();
    });
}

void EventLoop::setWriteInterest(const Poco::Net::Socket& socket, bool write) {
    using Poco::Net::PollSet;
    pollSet_.update(socket, PollSet::POLL_READ | (write ? PollSet::POLL_WRITE : 0));
}

void EventLoop::removeFromPollSet(const Poco::Net::Socket& socket) {
    pollSet_.remove(socket);
}

void EventLoop::removeIfFinished(const std::shared_ptr<Connection>& connection) {
    if (!connection->finished()) return;
    auto it = connections_.find(connection->socket().impl()->sockfd());
    const bool known = it != connections_.end() && it->second == connection;
    connection->finalize();
    if (known) {
        connections_.erase(it);
        count_.fetch_sub(1);
    }
}

void EventLoop::runCommands() {
    std::vector<std::function<void()>> commands;
    {
        std::lock_guard<std::mutex> lock(commandsMutex_);
        commands.swap(commands_);
    }
    for (auto& command : commands) command();
}

void EventLoop::tick(Clock::time_point now) {
    std::vector<std::shared_ptr<Connection>> finished;
    for (auto& [fd, connection] : connections_) {
        connection->onTick(now);
        if (connection->finished()) finished.push_back(connection);
    }
    for (auto& connection : finished) removeIfFinished(connection);
}

void EventLoop::run() {
    auto lastTick = Clock::now();
    while (running_) {
        Poco::Net::PollSet::SocketModeMap ready;
        try {
            ready = pollSet_.poll(Poco::Timespan(0, 100 * 1000));
        } catch (const Poco::Exception& e) {
            Poco::Logger::get("agenthost.net").error("poll failed: " + e.displayText());
        }
        const auto now = Clock::now();
        for (const auto& [socket, mode] : ready) {
            if (socket == wakeSocket_) {
                wakePending_ = false;
                char drain[64];
                try {
                    Poco::Net::SocketAddress from;
                    while (wakeSocket_.available() > 0)
                        wakeSocket_.receiveFrom(drain, sizeof drain, from);
                } catch (const Poco::Exception&) {
                }
                continue;
            }
            auto it = connections_.find(socket.impl()->sockfd());
            if (it == connections_.end()) continue;
            auto connection = it->second;
            if (mode & (Poco::Net::PollSet::POLL_READ | Poco::Net::PollSet::POLL_ERROR))
                connection->onReadable(now);
            if (mode & Poco::Net::PollSet::POLL_WRITE) connection->onWritable(now);
            removeIfFinished(connection);
        }
        runCommands();
        if (now - lastTick >= kTickInterval) {
            lastTick = now;
            tick(now);
        }
    }
    runCommands();
    for (auto& [fd, connection] : connections_) connection->finalize();
    connections_.clear();
    count_.store(0);
}

}  // namespace agenthost::net
