#include "runner/Frames.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace agenthost::runner {
namespace {

void putLittleEndian(std::string& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t getLittleEndian(const char* p, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
        v |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    return v;
}

}  // namespace

FrameWriter::FrameWriter(FrameType type) {
    bytes_.assign(4, '\0');
    bytes_.push_back(static_cast<char>(type));
}

FrameWriter& FrameWriter::u8(std::uint8_t v) {
    bytes_.push_back(static_cast<char>(v));
    return *this;
}

FrameWriter& FrameWriter::u32(std::uint32_t v) {
    putLittleEndian(bytes_, v, 4);
    return *this;
}

FrameWriter& FrameWriter::u64(std::uint64_t v) {
    putLittleEndian(bytes_, v, 8);
    return *this;
}

FrameWriter& FrameWriter::f64(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    return u64(bits);
}

FrameWriter& FrameWriter::str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    bytes_.append(s);
    return *this;
}

std::string& FrameWriter::finish() {
    const auto length = static_cast<std::uint32_t>(bytes_.size() - 4);
    for (int i = 0; i < 4; ++i) bytes_[i] = static_cast<char>((length >> (8 * i)) & 0xff);
    return bytes_;
}

bool FrameReader::take(std::size_t n) {
    if (!ok_ || body_.size() - at_ < n) {
        ok_ = false;
        return false;
    }
    return true;
}

std::uint8_t FrameReader::u8() {
    if (!take(1)) return 0;
    return static_cast<std::uint8_t>(body_[at_++]);
}

std::uint32_t FrameReader::u32() {
    if (!take(4)) return 0;
    const auto v = static_cast<std::uint32_t>(getLittleEndian(body_.data() + at_, 4));
    at_ += 4;
    return v;
}

std::uint64_t FrameReader::u64() {
    if (!take(8)) return 0;
    const auto v = getLittleEndian(body_.data() + at_, 8);
    at_ += 8;
    return v;
}

double FrameReader::f64() {
    const std::uint64_t bits = u64();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
}

std::string_view FrameReader::str() {
    const std::uint32_t size = u32();
    if (!take(size)) return {};
    const auto s = body_.substr(at_, size);
    at_ += size;
    return s;
}

std::optional<FrameReader> FrameBuffer::next() {
    // Drop what earlier frames used once it is a good share of the buffer, not on every frame.
    if (consumed_ > 0 && consumed_ >= bytes_.size() / 2) {
        bytes_.erase(0, consumed_);
        consumed_ = 0;
    }
    const std::size_t available = bytes_.size() - consumed_;
    if (available < 5) return std::nullopt;
    const char* head = bytes_.data() + consumed_;
    const auto length = static_cast<std::size_t>(getLittleEndian(head, 4));
    if (length == 0 || length > kMaxFrameBytes) {
        broken_ = true;
        return std::nullopt;
    }
    if (available - 4 < length) return std::nullopt;
    const auto type = static_cast<FrameType>(static_cast<unsigned char>(head[4]));
    const std::string_view body(head + 5, length - 1);
    consumed_ += 4 + length;
    return FrameReader(type, body);
}

bool writeAll(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace agenthost::runner
