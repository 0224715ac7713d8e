// echo: answers every message with its own text. The SDK's worked example.
//
// It shows both ways to answer: start() answers at once, on the calling thread, when there is
// nothing to wait for and little to send (the fast path: no thread hand-off); otherwise it hands
// the request to respond(), blocking code that the SDK runs on its own threads and completes
// when it returns. start() runs on the host's event loop: a long answer produced there would
// hold up every other connection, and a cancel could not reach it until the end.
// And a constructor that reads the route's settings and refuses bad ones by throwing.
#include <agenthost/plugin.hpp>
#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

// The reload tests build this file a second time with another version, to replace it on disk.
#ifndef ECHO_VERSION
#define ECHO_VERSION "1.0.0"
#endif

namespace {

class EchoPlugin final : public agenthost::Plugin {
  public:
    // [plugin.NAME] settings:
    //   delay_ms    = 0  pause before each piece, so clients can try cancel and queueing
    //   repeat      = 1  answer with the text this many times, as separate pieces
    //   interval_ms = 0  pause between two pieces: a long, steady stream for resume tests
    explicit EchoPlugin(const agenthost::Context& context)
        : delay_(context.settings.getInt("delay_ms", 0)),
          interval_(context.settings.getInt("interval_ms", 0)),
          repeat_(context.settings.getInt("repeat", 1)) {
        if (delay_.count() < 0) throw std::invalid_argument("delay_ms must not be negative");
        if (interval_.count() < 0) throw std::invalid_argument("interval_ms must not be negative");
        if (repeat_ < 1) throw std::invalid_argument("repeat must be at least 1");
    }

    void start(agenthost::Request request, std::shared_ptr<agenthost::Response> response) override {
        const bool waits = delay_.count() > 0 || interval_.count() > 0;
        const bool large = static_cast<unsigned long long>(repeat_) >
                           kMaxInlineAnswerBytes / std::max<std::size_t>(request.message.size(), 1);
        if (waits || large) {
            Plugin::start(std::move(request), std::move(response));
            return;
        }
        for (long long i = 0; i < repeat_; ++i) response->text(request.message);
        response->complete();
    }

    void respond(const agenthost::Request& request, agenthost::Response& response) override {
        for (long long i = 0; i < repeat_ && !response.cancelled(); ++i) {
            waitOrCancel(response, i == 0 ? delay_ : delay_ + interval_);
            if (response.cancelled()) return;  // the SDK completes; the host already answered
            response.text(request.message);
        }
    }

  private:
    static constexpr std::size_t kMaxInlineAnswerBytes = 64 * 1024;

    // Sleeps `pause` in steps of at most 10 ms, so a cancel is noticed within 10 ms.
    static void waitOrCancel(const agenthost::Response& response, std::chrono::milliseconds pause) {
        const auto until = std::chrono::steady_clock::now() + pause;
        for (auto now = std::chrono::steady_clock::now(); !response.cancelled() && now < until;
             now = std::chrono::steady_clock::now())
            std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
                until - now, std::chrono::milliseconds(10)));
    }

    std::chrono::milliseconds delay_;
    std::chrono::milliseconds interval_;
    long long repeat_;
};

}  // namespace

AGENTHOST_PLUGIN(EchoPlugin, "echo", ECHO_VERSION)
