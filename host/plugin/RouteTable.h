// The routes of one config generation: route name -> plugin instance. Immutable once built;
// a reload builds a whole new table and swaps it in.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/Config.h"
#include "plugin/LibraryCache.h"
#include "plugin/PluginInstance.h"

namespace agenthost::plugin {

struct RouteTable {
    std::map<std::string, std::shared_ptr<PluginInstance>> routes;

    std::shared_ptr<PluginInstance> find(const std::string& route) const {
        auto it = routes.find(route);
        return it == routes.end() ? nullptr : it->second;
    }
};

struct RouteTableBuild {
    std::shared_ptr<const RouteTable> table;  // null when any route failed
    std::vector<config::Problem> errors;      // one per route that failed, naming its section
    std::vector<config::Problem> warnings;    // permissions tolerated by strict_permissions = false
};

// Creates the instance of every route in `config`. A route whose library content and settings
// are unchanged from `previous` keeps its running instance; everything else is created anew.
// Nothing in `previous` is touched, so a failed build leaves it as it was. A plugin folder or
// library that others could write is refused (a warning with [plugins] strict_permissions =
// false).
RouteTableBuild buildRouteTable(const config::Config& config, const RouteTable* previous,
                                LibraryCache& libraries);

}  // namespace agenthost::plugin
