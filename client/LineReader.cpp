#include "LineReader.h"

#include <unistd.h>

#include <cerrno>

namespace agenthost::client {

std::optional<std::string> LineReader::next() {
    const auto end = buffer_.find('\n');
    if (end == std::string::npos) {
        if (!ended_ || buffer_.empty()) return std::nullopt;
        std::string last = std::move(buffer_);
        buffer_.clear();
        return last;
    }
    std::string line = buffer_.substr(0, end);
    buffer_.erase(0, end + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

void LineReader::fill() {
    char chunk[4096];
    const ssize_t n = ::read(descriptor_, chunk, sizeof chunk);
    if (n > 0) {
        buffer_.append(chunk, static_cast<std::size_t>(n));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        ended_ = true;
    }
}

}  // namespace agenthost::client
