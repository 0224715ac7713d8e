#include "net/EventLoop.h"

#include <Poco/Logger.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocketImpl.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
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

// What a socket is polled for: readable (hang-ups and errors are reported with it), and
// writable while bytes wait to be sent.
constexpr std::uint32_t kRead = EPOLLIN;
constexpr std::uint32_t kReadWrite = EPOLLIN | EPOLLOUT;

Poco::Logger& log() {
    return Poco::Logger::get("agenthost.net");
}

int fdOf(const Poco::Net::Socket& socket) {
    return socket.impl()->sockfd();
}

}  // namespace

EventLoop::EventLoop()
    : epoll_(::epoll_create1(EPOLL_CLOEXEC)), wakeFd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    // On failure the destructor does not run: the descriptors made so far are closed here.
    if (epoll_ < 0 || wakeFd_ < 0 || !pollControl(EPOLL_CTL_ADD, wakeFd_, kRead)) {
        const std::string why = std::strerror(errno);
        if (epoll_ >= 0) ::close(epoll_);
        if (wakeFd_ >= 0) ::close(wakeFd_);
        throw std::runtime_error("cannot create the event loop's epoll set: " + why);
    }
}

EventLoop::~EventLoop() {
    stop();
    ::close(wakeFd_);
    ::close(epoll_);
}

bool EventLoop::pollControl(int operation, int fd, std::uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    return ::epoll_ctl(epoll_, operation, fd, &event) == 0;
}

void EventLoop::pollAdd(int fd, std::uint32_t events) {
    if (!pollControl(EPOLL_CTL_ADD, fd, events))
        throw std::runtime_error(std::string("epoll_ctl: ") + std::strerror(errno));
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
    if (wakePending_.exchange(true)) return;  // one wake-up on its way is enough
    const std::uint64_t one = 1;
    if (::write(wakeFd_, &one, sizeof one) != sizeof one) {
        wakePending_ = false;
        log().error(std::string("cannot wake the event loop: ") + std::strerror(errno));
    }
}

void EventLoop::add(std::shared_ptr<Connection> connection) {
    count_.fetch_add(1);
    post([this, connection = std::move(connection)] {
        try {
            pollAdd(fdOf(connection->socket()), kRead);
        } catch (const std::exception& e) {
            log().error(std::string("cannot poll a new connection: ") + e.what());
            connection->finalize();
            count_.fetch_sub(1);
            return;
        }
        connections_[fdOf(connection->socket())] = connection;
        connection->registered();
        removeIfFinished(connection);
    });
}

void EventLoop::listen(Poco::Net::ServerSocket listener, AcceptCallback accepted) {
    post([this, listener = std::move(listener), accepted = std::move(accepted)]() mutable {
        listener_ = std::move(listener);
        listener_.setBlocking(false);
        accepted_ = std::move(accepted);
        try {
            pollAdd(fdOf(listener_), kRead);
        } catch (const std::exception& e) {
            log().error(std::string("cannot poll the listening socket: ") + e.what());
            return;
        }
        listening_ = true;
    });
}

void EventLoop::stopListening() {
    post([this] {
        if (!listening_) return;
        listening_ = false;
        if (!listenPaused_) removeFromPollSet(listener_);
        listenPaused_ = false;
        listener_.close();
        accepted_ = nullptr;
    });
}

void EventLoop::acceptReady(Clock::time_point now) {
    const int fd = fdOf(listener_);
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
            removeFromPollSet(listener_);
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
    try {
        pollAdd(fdOf(listener_), kRead);
        listenPaused_ = false;
    } catch (const std::exception& e) {
        log().error(std::string("cannot poll the listening socket again: ") + e.what());
        listenPausedUntil_ = now + kAcceptPause;
    }
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
    if (!pollControl(EPOLL_CTL_MOD, fdOf(socket), write ? kReadWrite : kRead))
        log().error(std::string("cannot change what a socket is polled for: ") +
                    std::strerror(errno));
}

void EventLoop::removeFromPollSet(const Poco::Net::Socket& socket) {
    pollControl(EPOLL_CTL_DEL, fdOf(socket), 0);
}

EventLoop::ConnectionMap::iterator EventLoop::find(const std::shared_ptr<Connection>& connection) {
    const auto it = connections_.find(fdOf(connection->socket()));
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

int EventLoop::pollTimeoutMs(Clock::time_point lastTick) const {
    // Connections with bytes left over from the last turn are served this turn, after the ready
    // ones; the poll does not wait while there are any.
    if (!readAgain_.empty()) return 0;
    std::optional<Clock::time_point> due;
    if (!connections_.empty()) due = lastTick + kTickInterval;
    if (listening_ && listenPaused_ && (!due || listenPausedUntil_ < *due))
        due = listenPausedUntil_;
    if (!due) return -1;  // nothing timed: an idle server sleeps until a client or a command
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*due - Clock::now());
    return static_cast<int>(std::clamp<std::int64_t>(wait.count(), 0, kTickInterval.count()));
}

void EventLoop::run() {
    ::pthread_setname_np(::pthread_self(), "event-loop");
    auto lastTick = Clock::now();
    while (running_) {
        const int timeoutMs = pollTimeoutMs(lastTick);
        auto readAgain = std::exchange(readAgain_, {});
        int count = ::epoll_wait(epoll_, ready_.data(), static_cast<int>(ready_.size()), timeoutMs);
        if (count < 0) {
            if (errno != EINTR) log().error(std::string("poll failed: ") + std::strerror(errno));
            count = 0;
        }
        const auto now = Clock::now();
        for (int i = 0; i < count; ++i) {
            const int fd = ready_[i].data.fd;
            const std::uint32_t events = ready_[i].events;
            if (fd == wakeFd_) {
                // Drained before the flag is cleared: a wake() in between finds it still set
                // and writes nothing, but its command is queued and runs this turn. (Cleared
                // first, that wake's write could be drained with the flag left set, and every
                // later wake() skipped until the poll's timeout.)
                std::uint64_t drained;
                while (::read(wakeFd_, &drained, sizeof drained) > 0) {
                }
                wakePending_ = false;
                continue;
            }
            if (listening_ && fd == fdOf(listener_)) {
                acceptReady(now);
                continue;
            }
            auto it = connections_.find(fd);
            if (it == connections_.end()) continue;
            auto connection = it->second;
            const bool readable = (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0;
            if (readable && !connection->readAgainQueued) connection->onReadable(now);
            if (events & EPOLLOUT) connection->onWritable(now);
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
