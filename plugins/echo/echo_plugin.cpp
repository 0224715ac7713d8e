// echo: answers every message with its own text. The SDK's worked example.
//
// It shows the whole contract of a blocking plugin: a constructor that reads the route's
// settings (and may refuse them by throwing), an optional health report, and respond(), which
// the SDK runs on its own threads and completes when it returns.
#include <agenthost/plugin.hpp>

#include <chrono>
#include <thread>

// The reload tests build this file a second time with another version, to replace it on disk.
#ifndef ECHO_VERSION
#define ECHO_VERSION "1.0.0"
#endif

namespace {

class EchoPlugin final : public agenthost::Plugin {
public:
    // [plugin.NAME] settings:
    //   delay_ms = 0     pause before answering, so clients can try cancel and queueing
    //   repeat   = 1     answer with the text this many times, as separate pieces
    explicit EchoPlugin(const agenthost::Context& context)
        : delay_(context.settings.getInt("delay_ms", 0)),
          repeat_(context.settings.getInt("repeat", 1)) {
        if (delay_.count() < 0) throw std::invalid_argument("delay_ms must not be negative");
        if (repeat_ < 1) throw std::invalid_argument("repeat must be at least 1");
    }

    void respond(const agenthost::Request& request, agenthost::Response& response) override {
        for (long long i = 0; i < repeat_ && !response.cancelled(); ++i) {
            waitOrCancel(response);
            if (response.cancelled()) return;  // the SDK completes; the host already answered
            response.text(request.message);
        }
    }

private:
    // Sleeps delay_ in small steps, so a cancel is noticed within 10 ms.
    void waitOrCancel(const agenthost::Response& response) const {
        auto until = std::chrono::steady_clock::now() + delay_;
        while (!response.cancelled() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }

    std::chrono::milliseconds delay_;
    long long repeat_;
};

}  // namespace

AGENTHOST_PLUGIN(EchoPlugin, "echo", ECHO_VERSION)
