// The agenthost command line: options, config check, startup, and the signal loop.
#pragma once

#include <Poco/Util/ServerApplication.h>

#include <string>

namespace agenthost::app {

class AgentHostApp final : public Poco::Util::ServerApplication {
  protected:
    void initialize(Poco::Util::Application& self) override;
    void defineOptions(Poco::Util::OptionSet& options) override;
    int main(const std::vector<std::string>& args) override;

  private:
    void handleHelp(const std::string& name, const std::string& value);
    void handleVersion(const std::string& name, const std::string& value);
    void handleConfig(const std::string& name, const std::string& value);
    void handleCheck(const std::string& name, const std::string& value);
    void handlePidFile(const std::string& name, const std::string& value);
    void handleReload(const std::string& name, const std::string& value);
    int checkConfig();
    int sendReload();
    int serve();

    std::string configPath_ = "config/agenthost.ini";
    bool helpRequested_ = false;
    bool versionRequested_ = false;
    bool checkRequested_ = false;
    bool reloadRequested_ = false;
    std::string pidFile_;
};

// Blocks the signals that the signal loop waits for, in the calling thread and so in every
// thread it starts later. Call first thing in main().
void blockHandledSignals();

// Raises the soft open-file limit to the hard one (each connection is a descriptor), and warns
// when even that is too low for `connections`.
void raiseFileLimit(std::size_t connections);

}  // namespace agenthost::app
