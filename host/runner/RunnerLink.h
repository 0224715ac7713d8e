// The runner's end of its socket to the host, for writing: whole frames, one writer at a time
// (plugin threads emit concurrently). Writes block: a host that reads slowly slows the plugin
// down, which is the backpressure a plugin should feel. A host that has gone ends the process.
#pragma once

#include <mutex>
#include <string>

#include "runner/Frames.h"

namespace agenthost::runner {

class RunnerLink {
  public:
    explicit RunnerLink(int fd) : fd_(fd) {}
    int fd() const { return fd_; }
    void send(FrameWriter& frame);

  private:
    int fd_;
    std::mutex mutex_;
};

}  // namespace agenthost::runner
