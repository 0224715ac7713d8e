#include "plugin/RouteTable.h"

#include <filesystem>

#include "plugin/FileTrust.h"

namespace agenthost::plugin {
namespace {

bool sameSettings(const config::RouteSettings& a, const config::RouteSettings& b) {
    return a.library == b.library && a.libraryPath == b.libraryPath && a.settings == b.settings &&
           a.approvalTimeoutS == b.approvalTimeoutS &&
           a.approvalTimeoutAccepts == b.approvalTimeoutAccepts &&
           a.requestTimeoutS == b.requestTimeoutS && a.isolation == b.isolation;
}

// The route's instance: the running one when its library content and settings are unchanged.
std::shared_ptr<PluginInstance> instanceFor(const config::RouteSettings& route,
                                            const std::shared_ptr<PluginInstance>& running,
                                            LibraryCache& libraries) {
    const bool same = running && sameSettings(running->settings(), route);
    if (route.isolation.process) {
        // Never loaded here: its code runs in the runner process only.
        std::string hash = libraries.contentHash(route.libraryPath);
        if (same && running->contentHash() == hash) return running;
        return std::make_shared<PluginInstance>(route, std::move(hash));
    }
    auto library = libraries.get(route.libraryPath);
    if (same && running->library() == library.get()) return running;
    return std::make_shared<PluginInstance>(library, route);
}

// Whether `path` may be loaded from; an untrusted one is an error, or a warning when the
// config turned strict_permissions off.
bool trusted(const config::Config& config, const std::string& path, config::Problem where,
             RouteTableBuild& build) {
    const std::string reason = untrustedReason(path);
    if (reason.empty()) return true;
    if (config.strictPermissions) {
        where.message = reason + " (or set [plugins] strict_permissions = false)";
        build.errors.push_back(std::move(where));
        return false;
    }
    where.message = reason + "; loaded anyway because [plugins] strict_permissions = false";
    build.warnings.push_back(std::move(where));
    return true;
}

// The folder a library really is in, when a symbolic link points elsewhere; else empty.
std::string linkedFolder(const std::string& libraryPath) {
    std::error_code noFile, noFolder;  // missing: loading the library says so
    const auto real = std::filesystem::canonical(libraryPath, noFile);
    const auto folder = std::filesystem::weakly_canonical(
        std::filesystem::path(libraryPath).parent_path(), noFolder);
    if (noFile || noFolder || real.parent_path() == folder) return "";
    return real.parent_path().string();
}

}  // namespace

RouteTableBuild buildRouteTable(const config::Config& config, const RouteTable* previous,
                                LibraryCache& libraries) {
    RouteTableBuild build;
    auto table = std::make_shared<RouteTable>();
    if (!trusted(config, config.pluginDirectory, {"plugins", "directory", ""}, build)) return build;
    for (const auto& route : config.routes) {
        const config::Problem where{"plugin." + route.route, "library", ""};
        const std::string elsewhere = linkedFolder(route.libraryPath);
        if (!trusted(config, route.libraryPath, where, build) ||
            (!elsewhere.empty() && !trusted(config, elsewhere, where, build)))
            continue;
        try {
            auto running = previous ? previous->find(route.route) : nullptr;
            table->routes[route.route] = instanceFor(route, running, libraries);
        } catch (const std::exception& e) {
            build.errors.push_back({"plugin." + route.route, "library", e.what()});
        }
    }
    if (build.errors.empty()) build.table = std::move(table);
    return build;
}

}  // namespace agenthost::plugin
