#include "app/AgentHostApp.h"
#include "util/Heap.h"

int main(int argc, char** argv) {
    agenthost::util::fixHeapThresholds();
    agenthost::app::blockHandledSignals();  // before any thread exists
    agenthost::app::AgentHostApp app;
    return app.run(argc, argv);
}
