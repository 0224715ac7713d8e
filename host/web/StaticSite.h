// The files of the chat page (the repository's web/ folder), read into memory once per config
// generation, at start and on reload, off the event loop: serving one is a lookup in a map,
// and a path that is not one of the files read (../, an encoded dot, a symlink added later)
// cannot reach the file system at all.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>

namespace agenthost::web {

struct StaticFile {
    std::string body;
    std::string contentType;
    std::string etag;  // a strong validator: "<first 32 hex digits of the body's SHA-256>"
};

class StaticSite {
  public:
    // Every regular file under `directory` whose path has no part starting with '.'. Null,
    // with `problem` set, when the folder cannot be read or holds more than the limits below.
    static std::shared_ptr<const StaticSite> load(const std::string& directory,
                                                  std::string& problem);

    // The file at `relative` ("index.html", "app.js", "icons/a.svg"), or null.
    const StaticFile* find(const std::string& relative) const;

    const std::string& directory() const { return directory_; }
    std::size_t size() const { return files_.size(); }

    // A page is a handful of small files; a folder far beyond this is a wrong setting.
    static constexpr std::size_t kMaxFiles = 256;
    static constexpr std::size_t kMaxTotalBytes = 16u << 20;

  private:
    std::string directory_;
    std::map<std::string, StaticFile> files_;
};

// Where the package installs the page: <folder of the running binary>/../share/agenthost/web
// (/usr/share/agenthost/web for /usr/bin/agenthost; the build tree links build/share/agenthost/web
// to the source's web/ folder, so a freshly built binary finds it too).
std::string defaultDirectory();

// The Content-Type of a file, by its extension.
std::string contentTypeOf(const std::string& path);

}  // namespace agenthost::web
