// What a protocol 2 client shows, built the way the client recipe of the conversations spec
// says: it renders a frame only when its seq is above the highest seq rendered so far, so a
// frame that arrives again (on a replay after a reconnect) is shown once. It also notes what
// no client should ever see: a gap in the seqs, or frames out of order within one connection.
#pragma once

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <string>
#include <vector>

namespace agenthost::test {

// The frame's "seq", or -1 when it has none.
std::int64_t seqOf(const Poco::JSON::Object::Ptr& frame);
// True when the frame carries "replay": true.
bool isReplay(const Poco::JSON::Object::Ptr& frame);

class Transcript {
  public:
    // A client that has rendered everything up to `renderedUpTo` already (0: nothing yet).
    explicit Transcript(std::int64_t renderedUpTo = 0)
        : highest_(renderedUpTo), connectionLast_(renderedUpTo) {}

    // A new connection starts: its first frame with a seq must follow `afterSeq`.
    void beginConnection(std::int64_t afterSeq);
    // Takes a frame as it arrived; renders it when its seq is above highestSeq(). Frames
    // without a seq (ready, resumed, pong, refusals) are not part of the conversation.
    // Returns whether it was rendered.
    bool take(const Poco::JSON::Object::Ptr& frame);

    std::int64_t highestSeq() const { return highest_; }
    // The rendered frames, in seq order.
    const std::vector<Poco::JSON::Object::Ptr>& frames() const { return rendered_; }
    // The content of the rendered message frames, joined.
    std::string text() const;
    // The rendered frame with this seq, or null.
    Poco::JSON::Object::Ptr frame(std::int64_t seq) const;
    // Whether a frame of `type` was rendered (with `code`, for errors, when given).
    bool rendered(const std::string& type, const std::string& code = "") const;

    // Problems seen, one sentence each: a seq that skipped ahead (a gap), or a connection
    // whose frames did not follow each other seq by seq. Empty when all is well.
    const std::vector<std::string>& problems() const { return problems_; }

  private:
    std::int64_t highest_;
    std::int64_t connectionLast_;  // the last seq this connection delivered
    std::vector<Poco::JSON::Object::Ptr> rendered_;
    std::vector<std::string> problems_;
};

}  // namespace agenthost::test
