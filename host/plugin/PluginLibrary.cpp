#include "plugin/PluginLibrary.h"

#include <cstddef>

#include "plugin/HostApi.h"

namespace agenthost::plugin {
namespace {

std::string versionString(std::uint32_t major, std::uint32_t minor) {
    return std::to_string(major) + "." + std::to_string(minor);
}

// Every field of the version 1.0 table; a smaller table is not a v1 plugin.
constexpr std::size_t kMinimumApiSize =
    offsetof(agenthost_plugin_api, request_cancel) + sizeof(agenthost_plugin_api::request_cancel);

}  // namespace

PluginLibrary::PluginLibrary(boost::dll::shared_library library, const agenthost_plugin_api* api,
                             std::string path)
    : library_(std::move(library)), api_(api), path_(std::move(path)) {}

std::string PluginLibrary::abiVersion() const {
    return versionString(api_->abi_major, api_->abi_minor);
}

std::string PluginLibrary::checkCompatible(const agenthost_plugin_api& api) {
    const std::string host = versionString(AGENTHOST_ABI_MAJOR, AGENTHOST_ABI_MINOR);
    const std::string plugin = versionString(api.abi_major, api.abi_minor);
    if (api.abi_major != AGENTHOST_ABI_MAJOR)
        return "plugin ABI " + plugin + " is incompatible with host ABI " + host +
               " (major versions differ)";
    if (api.abi_minor > AGENTHOST_ABI_MINOR)
        return "plugin ABI " + plugin + " is newer than host ABI " + host +
               " (rebuild the plugin against this host's SDK or upgrade agenthost)";
    if (api.struct_size < kMinimumApiSize)
        return "plugin function table is too small (" + std::to_string(api.struct_size) +
               " bytes) for ABI " + plugin;
    if (!api.instance_new || !api.instance_destroy || !api.instance_health || !api.request_start ||
        !api.request_cancel)
        return "plugin function table has empty entries";
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
    if (!library.has(AGENTHOST_PLUGIN_ENTRY_SYMBOL))
        throw LoadError(path + " is not an agenthost plugin: it exports no " +
                        std::string(AGENTHOST_PLUGIN_ENTRY_SYMBOL) + "()");
    auto& entry = library.get<std::remove_pointer_t<agenthost_plugin_entry_fn>>(
        AGENTHOST_PLUGIN_ENTRY_SYMBOL);
    const agenthost_plugin_api* api = entry(AGENTHOST_ABI_MAJOR, AGENTHOST_ABI_MINOR, hostApi());
    if (api == nullptr)
        throw LoadError(path + " refused host ABI " +
                        versionString(AGENTHOST_ABI_MAJOR, AGENTHOST_ABI_MINOR));
    if (std::string reason = checkCompatible(*api); !reason.empty())
        throw LoadError(path + ": " + reason);
    return std::shared_ptr<PluginLibrary>(new PluginLibrary(std::move(library), api, path));
}

}  // namespace agenthost::plugin
