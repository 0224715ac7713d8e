// The framed protocol between the host and a plugin runner process (isolation = process).
//
// A frame is a little-endian u32 length (of what follows it), a u8 type, then the fields in a
// fixed order per type: u8/u32/u64 integers little-endian, f64 as its bits in a u64, strings as
// a u32 length and the bytes. Both sides are this same binary, so the two ends never disagree
// about the layout; a frame the reader cannot parse is treated as a broken runner.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agenthost::runner {

enum class FrameType : std::uint8_t {
    // host -> runner
    Init = 1,      // route, settings: load the library, instance_new, answer Hello or Failed
    Start = 2,     // id, flags, turn, timeout_ms, route, conversation, key, message, state,
                   // history (role, content, turn data): request_start, answer Started
    Cancel = 3,    // id, reason
    Release = 4,   // id
    Decision = 5,  // id, cookie, decision: approval_decided
    Status = 6,    // id, status: what the request's callbacks return from now on
    Health = 7,    // instance_health, answer HealthAnswer
    Stop = 8,      // instance_destroy, then exit
    Pace = 9,      // id, slowed (u8): whether the request's readers are behind (ABI 2.1
                   // backpressure): emits answer SLOW_DOWN and wait_writable waits while they are
    // runner -> host
    Hello = 20,         // name, version, abi major, abi minor, flags
    Failed = 21,        // why the library or instance could not be made
    Started = 22,       // id, accepted, refusal code, refusal message
    Text = 23,          // id, text
    Event = 24,         // id, kind, content, data
    Approval = 25,      // id, cookie, action, content, detail
    Usage = 26,         // id, input, output
    StopReason = 27,    // id, reason
    SessionState = 28,  // id, state
    RequestLog = 29,    // id, level, message
    Finish = 30,        // id, code, message
    Log = 31,           // level, line
    MetricDefine = 32,  // runner's id, kind, name, help
    MetricRecord = 33,  // runner's id, value
    HealthAnswer = 34,  // status, detail
    TurnData = 35,      // id, data (ABI 2.1 set_turn_data)
    CacheUsage = 36,    // id, cache creation tokens, cache read tokens (ABI 2.1)
};

// The longest frame either side accepts; text longer than a frame goes in several.
inline constexpr std::size_t kMaxFrameBytes = 64u << 20;
// Text is sent in pieces of at most this many bytes (the host joins split UTF-8 sequences).
inline constexpr std::size_t kTextPieceBytes = 1u << 20;

// Builds one frame.
class FrameWriter {
  public:
    explicit FrameWriter(FrameType type);
    FrameWriter& u8(std::uint8_t v);
    FrameWriter& u32(std::uint32_t v);
    FrameWriter& u64(std::uint64_t v);
    FrameWriter& f64(double v);
    FrameWriter& str(std::string_view s);
    // The whole frame, its length filled in.
    std::string& finish();

  private:
    std::string bytes_;
};

// Reads the fields of one frame's body in order; any overrun makes ok() false and later reads
// return zeros and empty strings.
class FrameReader {
  public:
    FrameReader(FrameType type, std::string_view body) : type_(type), body_(body) {}
    FrameType type() const { return type_; }
    std::uint8_t u8();
    std::uint32_t u32();
    std::uint64_t u64();
    double f64();
    std::string_view str();
    bool ok() const { return ok_; }

  private:
    bool take(std::size_t n);
    FrameType type_;
    std::string_view body_;
    std::size_t at_ = 0;
    bool ok_ = true;
};

// Gathers bytes as they are read and hands out whole frames.
class FrameBuffer {
  public:
    void append(const char* data, std::size_t size) { bytes_.append(data, size); }
    // The next whole frame, or nothing until more bytes come. Sets broken() on a frame longer
    // than kMaxFrameBytes. The reader's view is valid until the next call.
    std::optional<FrameReader> next();
    bool broken() const { return broken_; }

  private:
    std::string bytes_;
    std::size_t consumed_ = 0;
    bool broken_ = false;
};

// Writes all of `bytes` to a blocking socket; false when the peer is gone.
bool writeAll(int fd, std::string_view bytes);

}  // namespace agenthost::runner
