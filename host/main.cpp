#include <cstring>

#include "app/AgentHostApp.h"
#include "runner/RunnerMain.h"
#include "util/Heap.h"

int main(int argc, char** argv) {
    // A plugin runner for an isolated route (runner/RunnerMain.h): the same binary, another role.
    if (argc > 1 && std::strcmp(argv[1], agenthost::runner::kRunnerFlag) == 0)
        return agenthost::runner::runnerMain(argc, argv);
    agenthost::util::fixHeapThresholds();
    agenthost::app::blockHandledSignals();  // before any thread exists
    agenthost::app::AgentHostApp app;
    return app.run(argc, argv);
}
