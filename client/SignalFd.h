// The signals the chat reacts to (Ctrl-C's SIGINT, and SIGTERM, SIGHUP, SIGQUIT), delivered as
// readable data on a descriptor (signalfd) that the chat loop polls with everything else: no
// work happens in a signal handler.
#pragma once

#include <optional>

namespace agenthost::client {

class SignalFd {
  public:
    // Blocks the signals in this thread (main() already blocked them in every thread).
    SignalFd();
    ~SignalFd();
    SignalFd(const SignalFd&) = delete;
    SignalFd& operator=(const SignalFd&) = delete;

    int descriptor() const { return descriptor_; }
    // The next pending signal's number, if any (call when readable).
    std::optional<int> take();

  private:
    int descriptor_ = -1;
};

}  // namespace agenthost::client
