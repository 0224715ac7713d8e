#include "plugin/RouteTable.h"

namespace agenthost::plugin {

RouteTableBuild buildRouteTable(const config::Config& config) {
    RouteTableBuild build;
    auto table = std::make_shared<RouteTable>();
    std::map<std::string, std::shared_ptr<PluginLibrary>> libraries;
    for (const auto& route : config.routes) {
        try {
            auto& library = libraries[route.libraryPath];
            if (!library) library = PluginLibrary::load(route.libraryPath);
            table->routes[route.route] = std::make_shared<PluginInstance>(library, route);
        } catch (const std::exception& e) {
            build.errors.push_back({"plugin." + route.route, "library", e.what()});
        }
    }
    if (build.errors.empty()) build.table = std::move(table);
    return build;
}

}  // namespace agenthost::plugin
