#include "core/Generation.h"

#include "web/StaticSite.h"

namespace agenthost::core {

std::string GenerationBuild::describeErrors() const {
    std::string text;
    for (const auto& problem : errors) {
        if (!text.empty()) text += "; ";
        text += problem.describe();
    }
    return text;
}

namespace {

// A page that cannot be read is a warning, not an error: the server's API works without it.
void loadWebPage(const config::WebSettings& settings, session::Runtime& runtime,
                 std::vector<config::Problem>& warnings) {
    if (!settings.enabled) {
        runtime.webProblem = "the web page is switched off ([web] enabled = false)";
        return;
    }
    const std::string directory =
        settings.directory.empty() ? web::defaultDirectory() : settings.directory;
    std::string problem;
    runtime.site = web::StaticSite::load(directory, problem);
    if (runtime.site) return;
    // The 404 says no more: the folder's path is for the log, not for anyone who asks.
    runtime.webProblem = "the web page's files could not be read (the server's log says why)";
    warnings.push_back({"web", "directory", "the web page is not available: " + problem});
}

}  // namespace

GenerationBuild buildGeneration(const std::string& path, const plugin::RouteTable* previous,
                                plugin::LibraryCache& libraries, bool keysRequired) {
    GenerationBuild build;
    auto loaded = config::loadConfig(path);
    build.warnings = std::move(loaded.warnings);
    if (!loaded.ok()) {
        build.errors = std::move(loaded.errors);
        return build;
    }
    if (keysRequired && loaded.config.keys.empty()) {  // before a generated key is created
        build.errors.push_back(
            {"key.*", "",
             "the new file has no [key.*] section while the running server has some: every "
             "client key would be replaced by a generated one, so the reload is refused "
             "(restart agenthost to switch to a generated key)"});
        return build;
    }

    Generation generation;
    generation.config = std::move(loaded.config);
    auto keys = generation.config.keys;
    if (keys.empty()) {
        try {
            generation.generatedKey =
                auth::loadOrCreateGeneratedKey(generation.config.server.stateDir);
        } catch (const std::exception& e) {
            build.errors.push_back({"server", "state_dir", e.what()});
            return build;
        }
        keys.push_back(generation.generatedKey->settings);
    }

    const auto& server = generation.config.server;
    if (!server.tlsCert.empty()) {
        try {
            generation.tls = net::TlsContext::load(server.tlsCert, server.tlsKey);
        } catch (const std::exception& e) {
            build.errors.push_back({"server", "tls_cert", e.what()});
            return build;
        }
    }

    auto routes = plugin::buildRouteTable(generation.config, previous, libraries);
    build.warnings.insert(build.warnings.end(), routes.warnings.begin(), routes.warnings.end());
    if (!routes.table) {
        build.errors = std::move(routes.errors);
        return build;
    }
    generation.routes = std::move(routes.table);

    auto runtime = std::make_shared<session::Runtime>();
    runtime->keys = std::make_shared<auth::KeyStore>(std::move(keys));
    runtime->server = generation.config.server;
    runtime->streaming = generation.config.streaming;
    runtime->metrics = generation.config.metrics;
    loadWebPage(generation.config.web, *runtime, build.warnings);
    generation.runtime = std::move(runtime);
    build.generation = std::move(generation);
    return build;
}

}  // namespace agenthost::core
