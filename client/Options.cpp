#include "Options.h"

#include <map>

namespace agenthost::client {
namespace {

// The options that take a value, and where it goes.
std::map<std::string, std::string Options::*> valueOptions() {
    return {{"--key-file", &Options::keyFile},
            {"--route", &Options::route},
            {"--conversation", &Options::conversation},
            {"--config", &Options::configPath},
            {"--ca-file", &Options::caFile}};
}

}  // namespace

ParsedOptions parseOptions(const std::vector<std::string>& args) {
    ParsedOptions parsed;
    const auto takesValue = valueOptions();
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "-h" || arg == "--help") {
            parsed.options.help = true;
            continue;
        }
        if (arg.rfind("-", 0) != 0) {
            if (!parsed.options.url.empty()) {
                parsed.error = "more than one URL: " + parsed.options.url + " and " + arg;
                return parsed;
            }
            parsed.options.url = arg;
            continue;
        }
        const auto equals = arg.find('=');
        const std::string name = arg.substr(0, equals);
        const auto option = takesValue.find(name);
        if (option == takesValue.end()) {
            parsed.error = "unknown option " + name;
            return parsed;
        }
        if (equals != std::string::npos) {
            parsed.options.*(option->second) = arg.substr(equals + 1);
        } else if (i + 1 < args.size()) {
            parsed.options.*(option->second) = args[++i];
        } else {
            parsed.error = name + " needs a value";
            return parsed;
        }
    }
    return parsed;
}

const char* helpText() {
    return R"(NAME
    agenthost chat - talk to an agenthost route from a terminal or a script

SYNOPSIS
    agenthost chat [URL] [--key-file FILE] [--route ROUTE] [--conversation ID]
                   [--config PATH] [--ca-file PEM]

DESCRIPTION
    Opens a protocol 2 conversation on ROUTE and sends each line read from standard input as
    a message; answers are printed as they stream in. Events of the agent (thinking,
    commands, file changes, status) are printed as dim lines, and approval requests ask
    y/n. A dropped connection is resumed (with backoff, 0.25 s doubling to 8 s) from the
    last frame shown, so every piece of text is printed exactly once; at a prompt it keeps
    trying, a script gives up after about a minute (exit status 3).

    When standard output is not a terminal the output is plain: no colours, no prompt; the
    answers go to standard output, events, notes and errors to standard error. When standard
    input is not a terminal there is no prompt either. Each line of input is one message,
    sent when the answer before it has ended (the line after an approval request is its
    answer); at the end of input the command exits once the last answer is complete:
        echo "hi" | agenthost chat --route echo

URL
    ws://HOST:PORT or wss://HOST:PORT (http:// and https:// mean the same), optionally with
    the path /api/ROUTE/ws. Default: the server of the configuration file (its [server] host
    and port; wss:// when it has tls_cert).

OPTIONS
    --key-file FILE     read the key from the first line of FILE. Without it the key is the
                        environment variable AGENTHOST_KEY, else, when the configuration has
                        no [key.*] section, the key the server generated in its state folder
                        (generated.key). The key is sent as the first frame and never printed.
    --route ROUTE       the route (plugin) to talk to. Default: the route in the URL, else the
                        first [plugin.*] of the configuration, else echo.
    --conversation ID   continue conversation ID (see /list): its history is shown first.
    --config PATH       the configuration the defaults come from (config/agenthost.ini).
    --ca-file PEM       trust the certificates in PEM for wss:// (a self-signed server).
    -h, --help          show this text.

COMMANDS
    /new        start a new conversation
    /list       this key's 20 newest conversations on the route
    /open ID    switch to conversation ID and show it from its start
    /help       list the commands
    /quit       exit (so does end of input, Ctrl-D)
    A line starting with // is sent as a message starting with /.

KEYS
    Ctrl-C      while an answer is running: cancel it. At the prompt: a second Ctrl-C
                exits. Without a prompt: cancel the running answer, then exit 130.
    Ctrl-D      exit after the running answer.

EXIT STATUS
    0    every answer completed (or /quit, or Ctrl-C twice at the prompt)
    1    without a prompt: an answer ended with an error (a declined approval
         included), or the server refused a message
    2    usage: a bad option or URL, or no key
    3    the server could not be reached, or did not come back after a drop
    4    the server refused the key (wrong key, or not allowed on the route)
    5    the server has no such route
    6    --conversation names no conversation of this key on the route
    130  interrupted by Ctrl-C without a prompt (or a second Ctrl-C while cancelling)
    128+N  stopped by signal N (SIGTERM, SIGHUP, SIGQUIT); a running answer goes on
           in its conversation
)";
}

}  // namespace agenthost::client
