#include "plugin/RouteTable.h"

namespace agenthost::plugin {
namespace {

bool sameSettings(const config::RouteSettings& a, const config::RouteSettings& b) {
    return a.library == b.library && a.libraryPath == b.libraryPath && a.settings == b.settings;
}

}  // namespace

RouteTableBuild buildRouteTable(const config::Config& config, const RouteTable* previous,
                                LibraryCache& libraries) {
    RouteTableBuild build;
    auto table = std::make_shared<RouteTable>();
    for (const auto& route : config.routes) {
        try {
            auto library = libraries.get(route.libraryPath);
            auto running = previous ? previous->find(route.route) : nullptr;
            if (running && &running->library() == library.get() &&
                sameSettings(running->settings(), route))
                table->routes[route.route] = running;
            else
                table->routes[route.route] = std::make_shared<PluginInstance>(library, route);
        } catch (const std::exception& e) {
            build.errors.push_back({"plugin." + route.route, "library", e.what()});
        }
    }
    if (build.errors.empty()) build.table = std::move(table);
    return build;
}

}  // namespace agenthost::plugin
