// codex_bridgehub: answers each message by running a command-line agent (OpenAI's Codex CLI by
// default, or any program) as a child process and streaming what it prints.
//
// [plugin.NAME] settings (see README.md for the details):
//   command          program name (looked up on PATH) or path; default codex
//   args             extra arguments, split like shell words (quotes, backslashes), no shell
//   prompt           stdin (default) or arg (the message becomes the last argument)
//   prompt_separator word put before a prompt argument; default "--" for codex-json, none for text
//   format           text (stdout as it comes) or codex-json (default when command is codex)
//   mode             codex-json: app-server (default; one long-lived `codex app-server`) or exec
//   approval_policy  app-server: what Codex's approval requests get when no client can answer
//   startup_timeout_s app-server: how long `initialize` may take; default 30
//   workdir          the child's working directory; default the host's
//   timeout_s        stop the child (and fail) after this long; default 600
//   max_concurrent   children running at once; further requests wait in order; default 4
//   kill_grace_ms    SIGTERM to SIGKILL on cancel/timeout/shutdown; default 2000
//   env.NAME         added to the child's environment
#include <agenthost/plugin.hpp>
#include <memory>

#include "AppServer.h"
#include "AppServerTurn.h"
#include "BridgeSettings.h"
#include "ChildRun.h"
#include "CodexStream.h"
#include "CommandLookup.h"
#include "ConcurrencyGate.h"
#include "Invocation.h"
#include "TextStream.h"

namespace codex_bridgehub {
namespace {

class BridgePlugin final : public agenthost::Plugin {
  public:
    explicit BridgePlugin(const agenthost::Context& context)
        : settings_(BridgeSettings::from(context.settings)),
          log_(context.log),
          gate_(settings_.maxConcurrent) {
        if (settings_.appServer()) appServer_ = std::make_unique<AppServer>(settings_, log_);
        if (const std::string problem = commandProblem(settings_.command); !problem.empty())
            log_.warning(problem);
    }

    agenthost::Health health() const override {
        const std::string problem = commandProblem(settings_.command);
        if (!problem.empty()) return agenthost::Health::degraded(problem);
        if (appServer_)
            if (const auto down = appServer_->problem()) return agenthost::Health::degraded(*down);
        return agenthost::Health::ok();
    }

    // Runs on an SDK thread; blocks until the child ended. Children are owned by this call
    // (ChildProcess ends and reaps its group when it goes away), so when the SDK cancels every
    // request on shutdown and joins its threads, no child can outlive the plugin.
    void respond(const agenthost::Request& request, agenthost::Response& response) override {
        if (!gate_.enter([&response] { return response.cancelled(); }))
            return;  // cancelled while waiting: the host answered
        GateSlot slot(gate_);
        if (appServer_) {
            AppServerTurn(*appServer_, settings_, request, response).run();
            return;
        }

        const std::string threadId =
            settings_.format == OutputFormat::CodexJson ? request.sessionState : std::string();
        const Invocation invocation = buildInvocation(settings_, request.message, threadId);
        const auto stream = makeStream(request, response);

        RunControl control;
        control.onStdout = [&stream](std::string_view bytes) { stream->onStdout(bytes); };
        control.cancelled = [&response, &stream] {
            return response.cancelled() || stream->stopStatus().has_value();
        };
        control.deadline = std::chrono::steady_clock::now() + settings_.timeout;
        control.killGrace = settings_.killGrace;
        const SpawnOptions options{invocation.argv, settings_.env, settings_.workdir};
        const RunResult result = runChild(options, invocation.input, control);
        finish(result, *stream, response);
    }

  private:
    std::unique_ptr<OutputStream> makeStream(const agenthost::Request& request,
                                             agenthost::Response& response) const {
        // Only protocol 2 clients can answer approvals, so this also says one sees events.
        if (settings_.format == OutputFormat::CodexJson)
            return std::make_unique<CodexStream>(settings_.command, response,
                                                 request.canAskApproval);
        return std::make_unique<TextStream>(settings_.command, response);
    }

    void finish(const RunResult& result, OutputStream& stream, agenthost::Response& response) {
        switch (result.end) {
            case RunResult::End::Exited:
                stream.onExit(result);
                break;
            case RunResult::End::Cancelled:
                // The host already ended the answer, or nobody reads it; but a host that is
                // stopping gets a reason.
                if (stream.stopStatus() == agenthost::Emit::Stopping)
                    response.fail("plugin_unavailable",
                                  "agenthost is stopping or reloading its configuration; send "
                                  "the message again.");
                break;
            case RunResult::End::TimedOut:
                response.fail("timeout", timeoutMessage(result));
                break;
            case RunResult::End::NotStarted:
                log_.warning(result.startError);
                response.fail("upstream_error", result.startError);
                break;
        }
    }

    std::string timeoutMessage(const RunResult& result) const {
        std::string message = "\"" + settings_.command + "\" did not finish within " +
                              std::to_string(settings_.timeout.count()) + " s and was stopped";
        if (!result.stderrTail.empty()) message += "; the end of its stderr:\n" + result.stderrTail;
        return message;
    }

    const BridgeSettings settings_;
    agenthost::Logger log_;
    ConcurrencyGate gate_;
    // mode = app-server: the route's Codex, shared by all its conversations. Declared last, so
    // it is stopped first.
    std::unique_ptr<AppServer> appServer_;
};

}  // namespace
}  // namespace codex_bridgehub

AGENTHOST_PLUGIN(codex_bridgehub::BridgePlugin, "codex_bridgehub", "1.0.0")
