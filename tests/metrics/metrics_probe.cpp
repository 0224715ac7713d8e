// A plugin whose answers depend on the message, so the metrics tests know exactly what each
// request did:
//   "fail"  ends with the error code probe_failed, after reporting 2 input tokens
//   "wait"  sends nothing and waits to be cancelled (at most 30 s)
//   other   reports 3 input and 5 output tokens, answers with the message, completes
#include <agenthost/plugin.hpp>
#include <chrono>
#include <memory>
#include <thread>

class MetricsProbe final : public agenthost::Plugin {
  public:
    explicit MetricsProbe(const agenthost::Context&) {}

    void start(agenthost::Request request, std::shared_ptr<agenthost::Response> response) override {
        if (request.message == "wait") {
            Plugin::start(std::move(request), std::move(response));
            return;
        }
        if (request.message == "fail") {
            response->usage(2, 0);
            response->fail("probe_failed", "failed on purpose");
            return;
        }
        response->usage(3, 5);
        response->text(request.message);
        response->complete();
    }

    void respond(const agenthost::Request&, agenthost::Response& response) override {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (!response.cancelled() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
};

AGENTHOST_PLUGIN(MetricsProbe, "metrics_probe", "1.0.0")
