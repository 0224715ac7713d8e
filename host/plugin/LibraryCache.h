// Loads plugin libraries by content, so that a reload reuses an unchanged library and really
// loads a changed one.
//
// glibc's dlopen returns the already-loaded object for a path (or dev/inode) it has open, so a
// .so replaced on disk would silently keep running the old code. Each distinct file content is
// therefore loaded from a private copy (a fresh inode), which is unlinked right after dlopen:
// the mapping stays valid and nothing is left behind if the process dies.
//
// A file whose inode, size and times are those seen last is not read again: a reload hashes
// only the plugins that changed (any write changes ctime, which no tool can set back).
#pragma once

#include <sys/stat.h>

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
    // The SHA-256 of the file's current content, without loading it (an isolated route's
    // library is loaded by its runner process only). Throws LoadError.
    std::string contentHash(const std::string& path);

  private:
    struct FileStamp {
        dev_t device = 0;
        ino_t inode = 0;
        off_t size = 0;
        timespec modified{}, changed{};
        bool operator==(const FileStamp& other) const;
    };
    struct SeenFile {
        FileStamp stamp;
        std::string sha256;
    };
    static FileStamp stampOf(const std::string& path);
    std::shared_ptr<PluginLibrary> loadedUnchanged(const std::string& path, const FileStamp& stamp);

    std::mutex mutex_;
    std::map<std::string, std::weak_ptr<PluginLibrary>> byContent_;  // sha256 -> library
    std::map<std::string, SeenFile> byPath_;
};

}  // namespace agenthost::plugin
