// Everything one reading of the config file produces: the validated config, the plugin
// instances of its routes, and the settings sessions read. Building one has no effect on the
// running server; the host swaps a finished generation in whole, or keeps the old one.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/KeyStore.h"
#include "config/Config.h"
#include "net/TlsContext.h"
#include "plugin/LibraryCache.h"
#include "plugin/RouteTable.h"
#include "session/Runtime.h"

namespace agenthost::core {

struct Generation {
    config::Config config;
    std::shared_ptr<const plugin::RouteTable> routes;
    std::shared_ptr<const session::Runtime> runtime;
    std::optional<auth::GeneratedKey> generatedKey;  // when no [key.*] is configured
    std::shared_ptr<const net::TlsContext> tls;      // when [server] tls_cert/tls_key are set
};

struct GenerationBuild {
    std::optional<Generation> generation;  // empty when anything failed
    std::vector<config::Problem> errors;
    std::vector<config::Problem> warnings;

    // Every error on one line each, for logs and /api/status.
    std::string describeErrors() const;
};

// Reads `path` and loads what it names. Routes that are unchanged from `previous` keep their
// running instance. `keysRequired` (a reload of a server with configured [key.*] sections)
// refuses a file without any, which would silently switch every client to a generated key.
GenerationBuild buildGeneration(const std::string& path, const plugin::RouteTable* previous,
                                plugin::LibraryCache& libraries, bool keysRequired = false);

}  // namespace agenthost::core
