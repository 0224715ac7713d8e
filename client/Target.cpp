#include "Target.h"

#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/URI.h>

#include <fstream>

#include "ExitCodes.h"
#include "config/Config.h"

namespace agenthost::client {
namespace {

// The server's listen address as a client reaches it: a wildcard means this machine.
std::string reachableHost(const std::string& listenHost) {
    if (listenHost.empty() || listenHost == "0.0.0.0") return "127.0.0.1";
    if (listenHost == "::" || listenHost == "[::]") return "::1";
    return listenHost;
}

std::string firstLine(const std::string& path, bool& readable) {
    std::ifstream in(path);
    std::string line;
    readable = static_cast<bool>(std::getline(in, line));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
}

// Applies a URL given on the command line; returns an error sentence or "".
std::string applyUrl(const std::string& text, Target& target) {
    Poco::URI uri;
    try {
        uri = Poco::URI(text.find("://") == std::string::npos ? "ws://" + text : text);
    } catch (const Poco::Exception& e) {
        return "not a URL: " + text + " (" + e.message() + ")";
    }
    const std::string scheme = uri.getScheme();
    if (scheme == "ws" || scheme == "http") {
        target.tls = false;
    } else if (scheme == "wss" || scheme == "https") {
        target.tls = true;
    } else {
        return "the URL must start with ws://, wss://, http:// or https://: " + text;
    }
    if (uri.getHost().empty()) return "the URL names no host: " + text;
    target.host = uri.getHost();
    target.port = uri.getPort();  // Poco knows no default port for ws:// and wss://
    if (target.port == 0) target.port = target.tls ? 443 : 80;
    std::string path = uri.getPath();
    if (path.empty() || path == "/") return "";
    if (path.back() == '/') path.pop_back();
    const std::string prefix = "/api/", suffix = "/ws";
    const bool shaped = path.size() > prefix.size() + suffix.size() && path.starts_with(prefix) &&
                        path.ends_with(suffix);
    const std::string route =
        shaped ? path.substr(prefix.size(), path.size() - prefix.size() - suffix.size()) : "";
    if (!config::isRouteName(route))
        return "the URL's path must be /api/ROUTE/ws (or none): " + uri.getPath();
    target.route = route;
    return "";
}

}  // namespace

std::string Target::describe() const {
    const bool v6 = host.find(':') != std::string::npos;
    return std::string(tls ? "wss://" : "ws://") + (v6 ? "[" + host + "]" : host) + ":" +
           std::to_string(port) + "/api/" + route + "/ws";
}

ResolvedTarget resolveTarget(const Options& options, const char* environmentKey) {
    ResolvedTarget resolved;
    Target& target = resolved.target;
    auto fail = [&resolved](std::string error, int code) {
        resolved.error = std::move(error);
        resolved.exitCode = code;
        return resolved;
    };

    // The configuration gives the defaults; without the file, those of the default config.
    const bool haveConfig = Poco::File(options.configPath).exists();
    config::Config config;
    if (haveConfig) config = config::loadConfig(options.configPath).config;
    target.tls = !config.server.tlsCert.empty();
    target.host = reachableHost(config.server.host);
    target.port = config.server.port;
    target.caFile = options.caFile;
    target.conversation = options.conversation;

    if (!options.url.empty())
        if (auto error = applyUrl(options.url, target); !error.empty())
            return fail(error, kExitUsage);
    if (!options.route.empty()) {
        if (!target.route.empty() && target.route != options.route)
            return fail(
                "the URL names route " + target.route + " but --route says " + options.route,
                kExitUsage);
        target.route = options.route;
    }
    if (target.route.empty())
        target.route = config.routes.empty() ? "echo" : config.routes.front().route;
    if (!config::isRouteName(target.route))
        return fail("not a route name: " + target.route, kExitUsage);

    if (!options.keyFile.empty()) {
        bool readable = false;
        target.key = firstLine(options.keyFile, readable);
        if (!readable || target.key.empty())
            return fail("cannot read a key from " + options.keyFile, kExitUsage);
    } else if (environmentKey != nullptr && *environmentKey != '\0') {
        target.key = environmentKey;
    } else if (haveConfig && config.keys.empty()) {
        const std::string path = Poco::Path(Poco::Path::forDirectory(config.server.stateDir))
                                     .setFileName("generated.key")
                                     .toString();
        bool readable = false;
        target.key = firstLine(path, readable);
        if (!readable || target.key.empty())
            return fail(
                "no key: set AGENTHOST_KEY or use --key-file (the server's generated "
                "key " +
                    path + " cannot be read; has the server been started?)",
                kExitUsage);
    } else {
        return fail("no key: set AGENTHOST_KEY or use --key-file FILE", kExitUsage);
    }
    return resolved;
}

}  // namespace agenthost::client
