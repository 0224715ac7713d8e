#include "app/AgentHostApp.h"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/IntValidator.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionCallback.h>

#include <csignal>
#include <iostream>

#include "auth/KeyStore.h"
#include "config/Config.h"
#include "core/Host.h"
#include "plugin/RouteTable.h"

namespace agenthost::app {
namespace {

using Poco::Util::Option;
using Poco::Util::OptionCallback;

sigset_t handledSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGQUIT);
    return set;
}

void setUpLogging() {
    Poco::AutoPtr<Poco::PatternFormatter> formatter(
        new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p %s: %t"));
    Poco::AutoPtr<Poco::FormattingChannel> channel(
        new Poco::FormattingChannel(formatter, new Poco::ConsoleChannel(std::cerr)));
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::root().setLevel(Poco::Message::PRIO_INFORMATION);
}

void printProblems(const std::vector<config::Problem>& problems, const char* kind) {
    for (const auto& p : problems) std::cerr << kind << ": " << p.describe() << "\n";
}

// Loads the config and every plugin it names; prints each problem. Null when unusable.
struct Loaded {
    config::Config config;
    std::shared_ptr<const plugin::RouteTable> routes;
};
std::optional<Loaded> loadEverything(const std::string& path) {
    auto result = config::loadConfig(path);
    printProblems(result.warnings, "warning");
    printProblems(result.errors, "error");
    if (!result.ok()) return std::nullopt;
    auto build = plugin::buildRouteTable(result.config);
    printProblems(build.errors, "error");
    if (!build.table) return std::nullopt;
    return Loaded{std::move(result.config), std::move(build.table)};
}

void announceGeneratedKey(const auth::GeneratedKey& key, const config::Config& config,
                          std::uint16_t port) {
    std::string route = config.routes.empty() ? "echo" : config.routes.front().route;
    std::cout << "\nNo [key.*] section is configured, so agenthost uses a generated key"
              << (key.created ? " (new)" : "") << ", stored in " << key.path << ":\n\n    "
              << key.secret << "\n\nConnect with any WebSocket client and send the key as the "
              << "first message, e.g.\n    websocat ws://" << config.server.host << ":" << port
              << "/api/" << route << "/ws\n\n"
              << std::flush;
}

}  // namespace

void blockHandledSignals() {
    sigset_t set = handledSignals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::signal(SIGPIPE, SIG_IGN);  // a vanished client is an error code, not a signal
}

void AgentHostApp::initialize(Poco::Util::Application& self) {
    setUpLogging();
    ServerApplication::initialize(self);
}

void AgentHostApp::defineOptions(Poco::Util::OptionSet& options) {
    ServerApplication::defineOptions(options);
    options.addOption(Option("help", "h", "show this help and exit")
                          .callback(OptionCallback<AgentHostApp>(this, &AgentHostApp::handleHelp)));
    options.addOption(Option("version", "v", "print the version and exit")
                          .callback(OptionCallback<AgentHostApp>(this, &AgentHostApp::handleVersion)));
    options.addOption(Option("config", "c", "the configuration file (default config/agenthost.ini)")
                          .argument("PATH")
                          .callback(OptionCallback<AgentHostApp>(this, &AgentHostApp::handleConfig)));
    options.addOption(Option("check-config", "t",
                             "validate the configuration, load every plugin, print every problem, "
                             "and exit 0 (valid) or 1")
                          .callback(OptionCallback<AgentHostApp>(this, &AgentHostApp::handleCheck)));
}

void AgentHostApp::handleHelp(const std::string&, const std::string&) {
    helpRequested_ = true;
    Poco::Util::HelpFormatter help(options());
    help.setCommand(commandName());
    help.setUsage("[--config=PATH] [--check-config] [--version] [--help]");
    help.setHeader(
        "agenthost serves AI agent plugins to WebSocket clients at /api/<route>/ws.\n"
        "Signals: SIGTERM/SIGINT stop gracefully.");
    help.format(std::cout);
    stopOptionsProcessing();
}

void AgentHostApp::handleVersion(const std::string&, const std::string&) {
    versionRequested_ = true;
    std::cout << "agenthost " << core::kVersion << " (plugin ABI " << AGENTHOST_ABI_MAJOR << "."
              << AGENTHOST_ABI_MINOR << ")\n";
    stopOptionsProcessing();
}

void AgentHostApp::handleConfig(const std::string&, const std::string& value) { configPath_ = value; }

void AgentHostApp::handleCheck(const std::string&, const std::string&) { checkRequested_ = true; }

int AgentHostApp::main(const std::vector<std::string>&) {
    if (helpRequested_ || versionRequested_) return EXIT_OK;
    return checkRequested_ ? checkConfig() : serve();
}

int AgentHostApp::checkConfig() {
    auto loaded = loadEverything(configPath_);
    if (!loaded) {
        std::cerr << configPath_ << ": configuration is invalid\n";
        return EXIT_CONFIG;
    }
    std::cout << configPath_ << ": configuration is valid (" << loaded->routes->routes.size()
              << " route(s))\n";
    return EXIT_OK;
}

int AgentHostApp::serve() {
    auto& log = Poco::Logger::get("agenthost");
    auto loaded = loadEverything(configPath_);
    if (!loaded) {
        log.fatal("configuration " + configPath_ + " is invalid; not starting");
        return EXIT_CONFIG;
    }
    std::optional<auth::GeneratedKey> generated;
    auto keys = loaded->config.keys;
    if (keys.empty()) {
        generated = auth::loadOrCreateGeneratedKey(loaded->config.server.stateDir);
        keys.push_back(generated->settings);
    }
    core::Host host(loaded->config, loaded->routes,
                    std::make_shared<auth::KeyStore>(std::move(keys)));
    try {
        host.start();
    } catch (const Poco::Exception& e) {
        log.fatal("cannot listen on " + loaded->config.server.host + ":" +
                  std::to_string(loaded->config.server.port) + ": " + e.displayText());
        return EXIT_UNAVAILABLE;
    }
    for (const auto& [route, instance] : loaded->routes->routes)
        log.information("route /api/" + route + "/ws -> " + instance->library().name() + " " +
                        instance->library().version());
    log.information(std::string("agenthost ") + core::kVersion + " listening on http://" +
                    loaded->config.server.host + ":" + std::to_string(host.port()));
    if (generated) announceGeneratedKey(*generated, loaded->config, host.port());

    // Signals were blocked in every thread at startup; this is the one place they arrive.
    const sigset_t signals = handledSignals();
    for (;;) {
        int signal = 0;
        if (sigwait(&signals, &signal) != 0) continue;
        if (signal == SIGHUP) {
            log.warning("SIGHUP: configuration reload is not available in this build");
            continue;
        }
        log.information(std::string("received ") + (signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "SIGQUIT"));
        break;
    }
    host.stop();
    return EXIT_OK;
}

}  // namespace agenthost::app
