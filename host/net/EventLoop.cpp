#include "net/EventLoop.h"

#include <Poco/Logger.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocketImpl.h>
#include <sys/socket.h>

#include <cerrno>
#include <utility>

namespace agenthost::net {
namespace {

// Timeouts (auth, ping, send, close) are checked this often; each check visits every
// connection, so it is a balance between precision and idle CPU.
constexpr auto kTickInterval = std::chrono::milliseconds(250);
// Accepts per readiness event, so that a connection storm does not starve open connections.
constexpr int kMaxAcceptsPerEvent = 64;
// Out of file descriptors: the listener leaves the poll set this long (else it stays readable
// and the loop spins).
constexpr auto kAcceptPause = std::chrono::milliseconds(100);

Poco::Logger& log() {
    return Poco::Logger::get("agenthost.net");
}

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
        log().error("cannot wake the event loop: " + e.displayText());
    }
}

void EventLoop::add(std::shared_ptr<Connection> connection) {
    count_.fetch_add(1);
    post([this, connection = std::move(connection)] {
        try {
            pollSet_.add(connection->socket(), Poco::Net::PollSet::POLL_READ);
        } catch (const Poco::Exception& e) {
            log().error("cannot poll a new connection: " + e.displayText());
            connection->finalize();
            count_.fetch_sub(1);
            return;
        }
        connections_[connection->socket().impl()->sockfd()] = connection;
        connection->registered();
        removeIfFinished(connection);
    });
}

void EventLoop::listen(Poco::Net::ServerSocket listener, AcceptCallback accepted) {
    post([this, listener = std::move(listener), accepted = std::move(accepted)]() mutable {
        listener_ = std::move(listener);
        listener_.setBlocking(false);
        accepted_ = std::move(accepted);
        pollSet_.add(listener_, Poco::Net::PollSet::POLL_READ);
        listening_ = true;
    });
}

void EventLoop::stopListening() {
    post([this] {
        if (!listening_) return;
        listening_ = false;
        if (!listenPaused_) pollSet_.remove(listener_);
        listenPaused_ = false;
        listener_.close();
        accepted_ = nullptr;
    });
}

void EventLoop::acceptReady(Clock::time_point now) {
    const int fd = listener_.impl()->sockfd();
    for (int i = 0; i < kMaxAcceptsPerEvent && listening_; ++i) {
        const int client = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client >= 0) {
            accepted_(Poco::Net::StreamSocket(new Poco::Net::StreamSocketImpl(client)));
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            log().warning("cannot accept: out of file descriptors or memory; pausing accepts");
            pollSet_.remove(listener_);
            listenPaused_ = true;
            listenPausedUntil_ = now + kAcceptPause;
            return;
        }
        log().error("accept failed: errno " + std::to_string(errno));
        return;
    }
}

void EventLoop::resumeListening(Clock::time_point now) {
    if (!listening_ || !listenPaused_ || now < listenPausedUntil_) return;
    listenPaused_ = false;
    pollSet_.add(listener_, Poco::Net::PollSet::POLL_READ);
}

void EventLoop::attention(std::shared_ptr<Connection> connection) {
    post([this, connection = std::move(connection)] { removeIfFinished(connection); });
}

void EventLoop::tickSoon(std::shared_ptr<Connection> connection) {
    post([this, connection = std::move(connection)] {
        if (!known(connection)) return;  // already gone
        connection->onTick(Clock::now());
        removeIfFinished(connection);
    });
}

void EventLoop::readAgain(std::shared_ptr<Connection> connection) {
    if (connection->readAgainQueued) return;
    connection->readAgainQueued = true;
    readAgain_.push_back(std::move(connection));
}

void EventLoop::serveReadAgain(std::vector<std::shared_ptr<Connection>> connections,
                               Clock::time_point now) {
    for (auto& connection : connections) {
        connection->readAgainQueued = false;
        if (!known(connection)) continue;  // gone meanwhile
        connection->onReadable(now);
        removeIfFinished(connection);
    }
}

void EventLoop::keyAccepted(std::shared_ptr<Connection> connection) {
    post([this, connection = std::move(connection)] { pendingAuth_.remove(connection.get()); });
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

EventLoop::ConnectionMap::iterator EventLoop::find(const std::shared_ptr<Connection>& connection) {
    const auto it = connections_.find(connection->socket().impl()->sockfd());
    return it != connections_.end() && it->second == connection ? it : connections_.end();
}

bool EventLoop::known(const std::shared_ptr<Connection>& connection) {
    return find(connection) != connections_.end();
}

void EventLoop::removeIfFinished(const std::shared_ptr<Connection>& connection) {
    if (!connection->finished()) return;
    const auto it = find(connection);
    pendingAuth_.remove(connection.get());
    connection->finalize();
    if (it != connections_.end()) {
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
        // Connections with bytes left over from the last turn are served this turn, after the
        // ready ones; the poll does not wait while there are any.
        auto readAgain = std::exchange(readAgain_, {});
        Poco::Net::PollSet::SocketModeMap ready;
        try {
            ready = pollSet_.poll(Poco::Timespan(0, readAgain.empty() ? 100 * 1000 : 0));
        } catch (const Poco::Exception& e) {
            log().error("poll failed: " + e.displayText());
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
            if (listening_ && socket == listener_) {
                acceptReady(now);
                continue;
            }
            auto it = connections_.find(socket.impl()->sockfd());
            if (it == connections_.end()) continue;
            auto connection = it->second;
            const bool readable =
                (mode & (Poco::Net::PollSet::POLL_READ | Poco::Net::PollSet::POLL_ERROR)) != 0;
            if (readable && !connection->readAgainQueued) connection->onReadable(now);
            if (mode & Poco::Net::PollSet::POLL_WRITE) connection->onWritable(now);
            removeIfFinished(connection);
        }
        serveReadAgain(std::move(readAgain), now);
        runCommands();
        resumeListening(now);
        if (now - lastTick >= kTickInterval) {
            lastTick = now;
            tick(now);
        }
    }
    runCommands();
    if (listening_) {
        listening_ = false;
        listener_.close();
    }
    pendingAuth_.clear();
    readAgain_.clear();
    for (auto& [fd, connection] : connections_) connection->finalize();
    connections_.clear();
    count_.store(0);
}

}  // namespace agenthost::net
