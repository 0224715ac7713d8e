// One loaded plugin library (<name>.so) whose ABI handshake succeeded.
#pragma once

#include <agenthost/plugin_abi.h>

#include <boost/dll/shared_library.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace agenthost::plugin {

// Why a library could not be used; the message names the file and the reason.
class LoadError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class PluginLibrary {
  public:
    // Loads `file` (RTLD_NOW, local symbols), calls its init function and checks the table it
    // returns (the handshake rules in plugin_abi.h). `path` is the name to report (the file the
    // user installed, when `file` is a private copy of it). Throws LoadError.
    static std::shared_ptr<PluginLibrary> load(const std::string& file, const std::string& path);
    static std::shared_ptr<PluginLibrary> load(const std::string& path) { return load(path, path); }

    const agenthost_plugin_api& api() const { return *api_; }
    const std::string& path() const { return path_; }
    std::string name() const { return std::string(api_->name.data, api_->name.size); }
    std::string version() const { return std::string(api_->version.data, api_->version.size); }
    // The ABI the plugin was built with, "major.minor".
    std::string abiVersion() const;
    // The plugin promised that request_start never blocks (AGENTHOST_PLUGIN_NONBLOCKING_START).
    bool honorsSlowDown() const { return (api_->flags & AGENTHOST_PLUGIN_HONORS_SLOW_DOWN) != 0; }
    bool nonBlockingStart() const {
        return (api_->flags & AGENTHOST_PLUGIN_NONBLOCKING_START) != 0;
    }

    // instance_new for the route `host` belongs to, with its settings. Throws LoadError with
    // the plugin's reason when it refuses.
    agenthost_instance_plugin_ptr newInstance(
        agenthost_instance_host& host,
        const std::vector<std::pair<std::string, std::string>>& settings) const;

    // Returns an empty string when the host accepts `api`, else the reason.
    static std::string checkCompatible(const agenthost_plugin_api& api);

  private:
    PluginLibrary(boost::dll::shared_library library, const agenthost_plugin_api* api,
                  std::string path);

    boost::dll::shared_library library_;
    const agenthost_plugin_api* api_;
    std::string path_;
};

}  // namespace agenthost::plugin
