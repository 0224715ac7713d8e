// One loaded plugin library (<name>.so) whose ABI handshake succeeded.
#pragma once

#include <agenthost/plugin_abi.h>

#include <boost/dll/shared_library.hpp>
#include <memory>
#include <stdexcept>
#include <string>

namespace agenthost::plugin {

// Why a library could not be used; the message names the file and the reason.
class LoadError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class PluginLibrary {
  public:
    // Loads `file` (RTLD_NOW, local symbols), calls its entry function and checks the ABI
    // version it returns. `path` is the name to report (the file the user installed, when
    // `file` is a private copy of it). Throws LoadError.
    static std::shared_ptr<PluginLibrary> load(const std::string& file, const std::string& path);
    static std::shared_ptr<PluginLibrary> load(const std::string& path) { return load(path, path); }

    const agenthost_plugin_api& api() const { return *api_; }
    const std::string& path() const { return path_; }
    std::string name() const { return api_->name ? api_->name : ""; }
    std::string version() const { return api_->version ? api_->version : ""; }
    std::string abiVersion() const;

    // The host accepts a plugin whose major equals its own and whose minor is not newer.
    // Returns an empty string when compatible, else the reason.
    static std::string checkCompatible(const agenthost_plugin_api& api);

  private:
    PluginLibrary(boost::dll::shared_library library, const agenthost_plugin_api* api,
                  std::string path);

    boost::dll::shared_library library_;
    const agenthost_plugin_api* api_;
    std::string path_;
};

}  // namespace agenthost::plugin
