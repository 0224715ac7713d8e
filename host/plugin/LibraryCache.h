// Loads plugin libraries by content, so that a reload reuses an unchanged library and really
// loads a changed one.
//
// glibc's dlopen returns the already-loaded object for a path (or dev/inode) it has open, so a
// .so replaced on disk would silently keep running the old code. Each distinct file content is
// therefore loaded from a private copy (a fresh inode), which is unlinked right after dlopen:
// the mapping stays valid and nothing is left behind if the process dies.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "plugin/PluginLibrary.h"

namespace agenthost::plugin {

class LibraryCache {
  public:
    // The library for the file's current content. Throws LoadError.
    std::shared_ptr<PluginLibrary> get(const std::string& path);

  private:
    std::mutex mutex_;
    std::map<std::string, std::weak_ptr<PluginLibrary>> byContent_;  // sha256 -> library
};

}  // namespace agenthost::plugin
