#include "app/AgentHostApp.h"

#include <Poco/File.h>
#include <Poco/Logger.h>
#include <Poco/Process.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/IntValidator.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionCallback.h>
#include <sys/resource.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>

#include "app/SystemdNotify.h"
#include "core/Generation.h"
#include "core/Host.h"
#include "log/Logging.h"

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

void printProblems(const std::vector<config::Problem>& problems, const char* kind) {
    for (const auto& p : problems) std::cerr << kind << ": " << p.describe() << "\n";
}

// Builds the first generation from the config file; prints every problem.
std::optional<core::Generation> loadFirstGeneration(const std::string& path,
                                                    plugin::LibraryCache& libraries) {
    auto build = core::buildGeneration(path, nullptr, libraries);
    printProblems(build.warnings, "warning");
    printProblems(build.errors, "error");
    return std::move(build.generation);
}

// Holds the server's process id in a file (for `agenthost --reload`) while it runs.
class PidFile {
  public:
    explicit PidFile(std::string path) : path_(std::move(path)) {
        if (path_.empty()) return;
        std::ofstream out(path_, std::ios::trunc);
        out << Poco::Process::id() << "\n";
        if (!out) Poco::Logger::get("agenthost").error("cannot write pid file " + path_);
    }
    ~PidFile() {
        if (path_.empty()) return;
        try {
            Poco::File(path_).remove();
        } catch (const Poco::Exception&) {
        }
    }

  private:
    std::string path_;
};

void announceGeneratedKey(const auth::GeneratedKey& key, const config::Config& config,
                          std::uint16_t port) {
    std::string route = config.routes.empty() ? "echo" : config.routes.front().route;
    std::cout << "\nNo [key.*] section is configured, so agenthost uses a generated key"
              << (key.created ? " (new)" : "") << ", stored in " << key.path << ":\n\n    "
              << key.secret << "\n\nConnect with any WebSocket client and send the key as the "
              << "first message, e.g.\n    python3 -m websockets ws://" << config.server.host << ":"
              << port << "/api/" << route << "/ws\n"
              << "then type the key, then {\"content\": \"hello\"}\n\n"
              << std::flush;
}

// The STATUS= line systemctl status shows: what the server is doing right now.
std::string servingStatus(const core::Host& host, const std::string& listening) {
    return "serving " + std::to_string(host.routes()->routes.size()) + " route(s) on " + listening;
}

}  // namespace

void raiseFileLimit(std::size_t connections) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    const rlim_t needed = static_cast<rlim_t>(connections) + 256;  // plugins, logs, upstreams
    if (limit.rlim_cur < needed)
        Poco::Logger::get("agenthost")
            .warning("the open-file limit (" + std::to_string(limit.rlim_cur) +
                     ") is below max_connections + 256 (" + std::to_string(needed) +
                     "); raise it (ulimit -n, LimitNOFILE=) or lower max_connections");
}

void blockHandledSignals() {
    sigset_t set = handledSignals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::signal(SIGPIPE, SIG_IGN);  // a vanished client is an error code, not a signal
}

void AgentHostApp::initialize(Poco::Util::Application& self) {
    agenthost::log::useDefaultLogging();
    ServerApplication::initialize(self);
}

void AgentHostApp::defineOptions(Poco::Util::OptionSet& options) {
    // Not ServerApplication's options: its --pidfile writes the file as soon as it is parsed,
    // which would let `--reload --pidfile=...` overwrite the server's pid with its own.
    Application::defineOptions(options);
    options.addOption(Option("help", "h", "show this help and exit")
                          .callback(OptionCallback<AgentHostApp>(this, &AgentHostApp::handleHelp)));
    options.addOption(
        Option("version", "v", "print the version and exit")
            .callback(OptionCallback<AgentHostApp>(this, &AgentHostApp::handleVersion)));
    options.addOption(
        Option("config", "c", "the configuration file (default config/agenthost.ini)")
            .argument("PATH")
            .callback(OptionCallback<AgentHostApp>(this, &AgentHostApp::handleConfig)));
    options.addOption(
        Option("check-config", "t",
               "validate the configuration, load every plugin, print every problem, "
               "and exit 0 (valid) or 1")
            .callback(OptionCallback<AgentHostApp>(this, &AgentHostApp::handleCheck)));
    options.addOption(
        Option("pidfile", "p",
               "serving: write the process id to PATH; with --reload: the server to "
               "signal")
            .argument("PATH")
            .callback(OptionCallback<AgentHostApp>(this, &AgentHostApp::handlePidFile)));
    options.addOption(
        Option("reload", "r",
               "ask the running server named by --pidfile to reload its "
               "configuration (sends SIGHUP), then exit")
            .callback(OptionCallback<AgentHostApp>(this, &AgentHostApp::handleReload)));
}

void AgentHostApp::handleHelp(const std::string&, const std::string&) {
    helpRequested_ = true;
    Poco::Util::HelpFormatter help(options());
    help.setCommand(commandName());
    help.setUsage("[--config=PATH] [--check-config] [--version] [--help]");
    help.setHeader(
        "agenthost serves AI agent plugins to WebSocket clients at /api/<route>/ws.\n"
        "Signals: SIGHUP reloads the configuration; SIGTERM/SIGINT stop gracefully.\n"
        "Under systemd (Type=notify) it reports ready, reloading and stopping on NOTIFY_SOCKET;\n"
        "with no [server] state_dir, the state folder is $STATE_DIRECTORY when set.\n"
        "agenthost chat [URL] [--route=R]: talk to a route from a terminal (chat --help).");
    help.format(std::cout);
    stopOptionsProcessing();
}

void AgentHostApp::handleVersion(const std::string&, const std::string&) {
    versionRequested_ = true;
    std::cout << "agenthost " << core::kVersion << " (plugin ABI " << AGENTHOST_ABI_MAJOR << "."
              << AGENTHOST_ABI_MINOR << ")\n";
    stopOptionsProcessing();
}

void AgentHostApp::handleConfig(const std::string&, const std::string& value) {
    configPath_ = value;
}

void AgentHostApp::handleCheck(const std::string&, const std::string&) {
    checkRequested_ = true;
}

void AgentHostApp::handlePidFile(const std::string&, const std::string& value) {
    pidFile_ = value;
}

void AgentHostApp::handleReload(const std::string&, const std::string&) {
    reloadRequested_ = true;
}

int AgentHostApp::main(const std::vector<std::string>&) {
    if (helpRequested_ || versionRequested_) return EXIT_OK;
    if (reloadRequested_) return sendReload();
    return checkRequested_ ? checkConfig() : serve();
}

int AgentHostApp::checkConfig() {
    plugin::LibraryCache libraries;
    auto generation = loadFirstGeneration(configPath_, libraries);
    if (!generation) {
        std::cerr << configPath_ << ": configuration is invalid\n";
        return 1;  // the documented contract of --check-config: 0 valid, 1 invalid
    }
    std::cout << configPath_ << ": configuration is valid (" << generation->routes->routes.size()
              << " route(s))\n";
    if (generation->tls)
        std::cout << "TLS certificate " << generation->tls->certPath() << " ("
                  << generation->tls->subject() << ") matches its key, valid until "
                  << generation->tls->notAfter() << "\n";
    return EXIT_OK;
}

int AgentHostApp::sendReload() {
    if (pidFile_.empty()) {
        std::cerr << "--reload needs --pidfile=PATH, the file the server was started with\n";
        return EXIT_USAGE;
    }
    std::ifstream in(pidFile_);
    long pid = 0;
    if (!(in >> pid) || pid <= 0) {
        std::cerr << "cannot read a process id from " << pidFile_ << "\n";
        return EXIT_NOINPUT;
    }
    if (::kill(static_cast<pid_t>(pid), SIGHUP) != 0) {
        std::cerr << "cannot signal process " << pid << ": " << std::strerror(errno) << "\n";
        return EXIT_UNAVAILABLE;
    }
    std::cout << "asked agenthost (pid " << pid << ") to reload its configuration\n";
    return EXIT_OK;
}

int AgentHostApp::serve() {
    auto& log = Poco::Logger::get("agenthost");
    auto libraries = std::make_unique<plugin::LibraryCache>();
    auto first = loadFirstGeneration(configPath_, *libraries);
    if (!first) {
        log.fatal("configuration " + configPath_ + " is invalid; not starting");
        return EXIT_CONFIG;
    }
    if (const auto error = agenthost::log::configureLogging(first->config.log); !error.empty()) {
        log.fatal(error + "; not starting");
        return EXIT_CANTCREAT;
    }
    raiseFileLimit(first->config.server.maxConnections);
    const auto generatedKey = first->generatedKey;
    const config::Config startConfig = first->config;
    core::Host host(std::move(*first), std::move(libraries));
    try {
        host.start();
    } catch (const Poco::Exception& e) {
        log.fatal("cannot listen on " + startConfig.server.host + ":" +
                  std::to_string(startConfig.server.port) + ": " + e.displayText());
        return EXIT_UNAVAILABLE;
    }
    PidFile pidFile(pidFile_);
    for (const auto& [route, instance] : host.routes()->routes)
        log.information("route /api/" + route + "/ws -> " + instance->pluginName() + " " +
                        instance->pluginVersion());
    const char* scheme =
        startConfig.server.tlsCert.empty() ? " listening on http://" : " listening on https://";
    log.information(std::string("agenthost ") + core::kVersion + scheme + startConfig.server.host +
                    ":" + std::to_string(host.port()));
    if (generatedKey) announceGeneratedKey(*generatedKey, startConfig, host.port());
    const auto notify = SystemdNotify::fromEnvironment();
    const std::string listening = startConfig.server.host + ":" + std::to_string(host.port());
    notify.ready(servingStatus(host, listening));

    // Signals were blocked in every thread at startup; this loop is the one place they arrive.
    // A reload runs here too, so SIGHUPs sent during a reload stay pending in the kernel and
    // coalesce into one more reload.
    const sigset_t signals = handledSignals();
    for (;;) {
        int signal = 0;
        if (sigwait(&signals, &signal) != 0) continue;
        if (signal == SIGHUP) {
            // First, so that what follows goes to the new file when logrotate moved the old.
            if (const auto error = agenthost::log::reopenLogFile(); !error.empty())
                log.error(error + "; logging goes on to the old file");
            log.information("SIGHUP: reloading " + configPath_);
            notify.reloading();
            const auto outcome = host.reload();
            notify.ready(outcome.ok ? servingStatus(host, listening)
                                    : "reload refused (" + outcome.error + "); " +
                                          servingStatus(host, listening));
            continue;
        }
        log.information(std::string("received ") + ::strsignal(signal) + ", stopping");
        break;
    }
    notify.stopping();
    host.stop();
    agenthost::log::flushLog();
    return EXIT_OK;
}

}  // namespace agenthost::app
