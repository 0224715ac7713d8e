// echo: answers every message with its own text. The SDK's worked example.
//
// It shows both ways to answer: start() answers at once, on the calling thread, when there is
// nothing to wait for and little to send (the fast path: no thread hand-off); otherwise it hands
// the request to respond(), blocking code that the SDK runs on its own threads and completes
// when it returns. Because start() never blocks, echo declares `nonBlockingStart` and the host
// calls it on its event loop: a long answer produced there would hold up every other
// connection, and a cancel could not reach it until the end, hence the 64 KiB bound.
// It also shows events (what an agent did besides writing), asking the client for approval,
// and a constructor that reads the route's settings and refuses bad ones by throwing.
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
    //   events = false   before the text, a `thinking` and a `status` event
    //   ask_approval = false  ask the client first ("Echo `<message>`?"); declined: error
    //                    `declined`; a protocol 1 client cannot answer, so it just echoes
    explicit EchoPlugin(const agenthost::Context& context)
        : delay_(context.settings.getInt("delay_ms", 0)),
          interval_(context.settings.getInt("interval_ms", 0)),
          repeat_(context.settings.getInt("repeat", 1)),
          events_(context.settings.getBool("events", false)),
          askApproval_(context.settings.getBool("ask_approval", false)) {
        if (delay_.count() < 0) throw std::invalid_argument("delay_ms must not be negative");
        if (interval_.count() < 0) throw std::invalid_argument("interval_ms must not be negative");
        if (repeat_ < 1) throw std::invalid_argument("repeat must be at least 1");
    }

    static constexpr bool nonBlockingStart = true;

    void start(agenthost::Request request, std::shared_ptr<agenthost::Response> response) override {
        if (events_) describe(request, *response);
        if (!askApproval_) {
            answer(std::move(request), std::move(response));
            return;
        }
        const std::string question = "Echo `" + request.message + "`?";
        auto decided = [this, request, response](agenthost::Decision decision) mutable {
            if (decision == agenthost::Decision::Accept)
                answer(std::move(request), std::move(response));
            else
                response->fail("declined", "the client declined: nothing was echoed");
        };
        if (response->askApproval("command", question, R"({"command":"echo"})", decided) ==
            agenthost::Emit::Unsupported)
            answer(std::move(request), std::move(response));  // nobody can answer: echo anyway
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

    // Short answers at once, on the calling thread; long or paced ones on the SDK's threads.
    void answer(agenthost::Request request, std::shared_ptr<agenthost::Response> response) {
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

    // What an agent would show besides its answer: its reasoning, then what it is doing.
    static void describe(const agenthost::Request& request, agenthost::Response& response) {
        const auto codePoints = std::count_if(request.message.begin(), request.message.end(),
                                              [](char c) { return (c & 0xC0) != 0x80; });
        const std::string characters = std::to_string(codePoints);
        response.thinking("The user wrote " + characters + " characters.");
        response.event("status", "echoing", R"({"characters":)" + characters + "}");
    }

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
    bool events_;
    bool askApproval_;
};

}  // namespace

AGENTHOST_PLUGIN(EchoPlugin, "echo", ECHO_VERSION)
