#include <string_view>

#include "app/AgentHostApp.h"
#include "client/Chat.h"
#include "runner/RunnerMain.h"
#include "util/Heap.h"

int main(int argc, char** argv) {
    // A plugin runner for an isolated route (runner/RunnerMain.h): the same binary, another role.
    if (argc > 1 && std::string_view(argv[1]) == agenthost::runner::kRunnerFlag)
        return agenthost::runner::runnerMain(argc, argv);
    agenthost::util::fixHeapThresholds();
    agenthost::app::blockHandledSignals();  // before any thread exists
    // `agenthost chat ...` is the terminal client, not the server (it takes the same signals,
    // blocked here, from a signalfd).
    if (argc > 1 && std::string_view(argv[1]) == "chat")
        return agenthost::client::runChat(argc - 1, argv + 1);
    agenthost::app::AgentHostApp app;
    return app.run(argc, argv);
}
