// A client that reads at about 30 MB/s at most: far slower than a plugin that only copies
// memory, so that the host's backpressure has something to hold back.
#pragma once

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <thread>

#include "support/WsClient.h"

namespace agenthost::test {

class SlowReader {
  public:
    explicit SlowReader(WsClient& client) : client_(client) {}

    // The next frame's JSON, after the pause that keeps the pace.
    Poco::JSON::Object::Ptr next() {
        auto frame = client_.receive(std::chrono::seconds(30));
        if (!frame || !frame->isText())
            throw std::runtime_error(frame ? "the server closed the connection"
                                           : "no frame within 30 s");
        read_ += frame->payload.size();
        if (read_ >= paused_ + kBytesPerPause) {
            paused_ = read_;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return parseJson(frame->payload);
    }

  private:
    static constexpr std::size_t kBytesPerPause = 32 * 1024;  // a millisecond's worth
    WsClient& client_;
    std::size_t read_ = 0;
    std::size_t paused_ = 0;
};

}  // namespace agenthost::test
