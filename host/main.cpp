#include "app/AgentHostApp.h"

int main(int argc, char** argv) {
    agenthost::app::blockHandledSignals();  // before any thread exists
    agenthost::app::AgentHostApp app;
    return app.run(argc, argv);
}
