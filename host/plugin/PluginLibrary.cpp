#include "plugin/PluginLibrary.h"

#include <cstddef>

#include "plugin/HostApi.h"

namespace agenthost::plugin {
namespace {

std::string versionString(std::uint32_t major, std::uint32_t minor) {
    return std::to_string(major) + "." + std::to_string(minor);
}

const std::string kHostAbi = versionString(AGENTHOST_ABI_MAJOR, AGENTHOST_ABI_MINOR);

// Every field of the 2.0 table; later minors add fields after it.
constexpr std::size_t kMinimumApiSize = offsetof(agenthost_plugin_api, approval_decided) +
                                        sizeof(agenthost_plugin_api::approval_decided);

bool validString(agenthost_str s) {
    return s.data != nullptr || s.size == 0;
}

}  // namespace

PluginLibrary::PluginLibrary(boost::dll::shared_library library, const agenthost_plugin_api* api,
                             std::string path)
    : library_(std::move(library)), api_(api), path_(std::move(path)) {}

std::string PluginLibrary::abiVersion() const {
    return versionString(api_->abi_major, api_->abi_minor);
}

agenthost_instance_plugin_ptr PluginLibrary::newInstance(
    agenthost_instance_host& host,
    const std::vector<std::pair<std::string, std::string>>& settings) const {
    auto view = [](const std::string& s) { return agenthost_str{s.c_str(), s.size()}; };
    std::vector<agenthost_setting> pairs;
    for (const auto& [key, value] : settings) pairs.push_back({view(key), view(value)});
    agenthost_instance_config config{};
    config.struct_size = sizeof config;
    config.route = view(host.route);
    config.settings = pairs.data();
    config.settings_count = pairs.size();
    config.host = &host;
    char error[1024];
    agenthost_buffer buffer{error, sizeof error, 0};
    const auto instance = api_->instance_new(&config, &buffer);
    if (instance == nullptr) {
        const std::string reason = bufferText(buffer);
        throw LoadError("plugin " + name() + " refused the settings of [plugin." + host.route +
                        "]: " + (reason.empty() ? "no reason given" : reason));
    }
    return instance;
}

std::string PluginLibrary::checkCompatible(const agenthost_plugin_api& api) {
    const std::string plugin = versionString(api.abi_major, api.abi_minor);
    if (api.abi_major != AGENTHOST_ABI_MAJOR)
        return "plugin ABI " + plugin + " is incompatible with host ABI " + kHostAbi +
               " (major versions differ)";
    // Read before the size check: min_host_minor is in every table of this major.
    if (api.min_host_minor > AGENTHOST_ABI_MINOR)
        return "plugin ABI " + plugin + " needs host ABI " +
               versionString(AGENTHOST_ABI_MAJOR, api.min_host_minor) +
               " or newer; this host has ABI " + kHostAbi + " (upgrade agenthost)";
    if (api.struct_size < kMinimumApiSize)
        return "plugin function table is too small (" + std::to_string(api.struct_size) +
               " bytes, ABI " + versionString(AGENTHOST_ABI_MAJOR, 0) + " needs " +
               std::to_string(kMinimumApiSize) + ") for ABI " + plugin;
    if (!api.instance_new || !api.instance_destroy || !api.instance_health || !api.request_start ||
        !api.request_cancel || !api.request_release)
        return "plugin function table has empty entries";
    if (!validString(api.name) || !validString(api.version))
        return "plugin function table has a malformed name or version";
    return "";
}

std::shared_ptr<PluginLibrary> PluginLibrary::load(const std::string& file,
                                                   const std::string& path) {
    boost::dll::shared_library library;
    try {
        library.load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        throw LoadError("cannot load " + path + ": " + e.what());
    }
    if (!library.has(AGENTHOST_PLUGIN_INIT_SYMBOL)) {
        if (library.has(AGENTHOST_PLUGIN_ENTRY_SYMBOL_ABI1))
            throw LoadError(path + " was built for plugin ABI 1, which this host (ABI " + kHostAbi +
                            ") no longer loads: rebuild it against agenthost SDK 2 "
                            "(find_package(AgenthostSDK) and agenthost_add_plugin(); see "
                            "docs/plugins.md)");
        throw LoadError(path + " is not an agenthost plugin: it exports no " +
                        std::string(AGENTHOST_PLUGIN_INIT_SYMBOL) + "()");
    }
    auto& init =
        library.get<std::remove_pointer_t<agenthost_plugin_init_fn>>(AGENTHOST_PLUGIN_INIT_SYMBOL);
    const agenthost_plugin_api* api = init(hostApi());
    if (api == nullptr) throw LoadError(path + " refused host ABI " + kHostAbi);
    if (std::string reason = checkCompatible(*api); !reason.empty())
        throw LoadError(path + ": " + reason);
    return std::shared_ptr<PluginLibrary>(new PluginLibrary(std::move(library), api, path));
}

}  // namespace agenthost::plugin
