#include "plugin/LibraryCache.h"

#include <Poco/Path.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include "util/Digest.h"

namespace agenthost::plugin {
namespace {

// Read in one piece at the file's size: every reload reads each plugin (a few MB) to hash it.
std::string readWhole(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw LoadError("cannot load " + path + ": no such file or not readable");
    std::string bytes(static_cast<std::size_t>(in.tellg()), '\0');
    in.seekg(0);
    if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
        throw LoadError("cannot load " + path + ": reading it failed");
    return bytes;
}

// Writes `bytes` to a new file in the temp folder and returns its path.
std::string writePrivateCopy(const std::string& originalPath, const std::string& bytes) {
    const std::string stem = Poco::Path(originalPath).getBaseName();
    std::string pattern = Poco::Path::temp() + "agenthost-" + stem + "-XXXXXX.so";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    const int fd = ::mkstemps(name.data(), 3);
    if (fd < 0) throw LoadError("cannot create a private copy of " + originalPath);
    std::size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n <= 0) break;
        written += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (written != bytes.size()) {
        std::remove(name.data());
        throw LoadError("cannot write a private copy of " + originalPath);
    }
    return name.data();
}

}  // namespace

bool LibraryCache::FileStamp::operator==(const FileStamp& other) const {
    auto same = [](const timespec& a, const timespec& b) {
        return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
    };
    return device == other.device && inode == other.inode && size == other.size &&
           same(modified, other.modified) && same(changed, other.changed);
}

LibraryCache::FileStamp LibraryCache::stampOf(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0)
        throw LoadError("cannot load " + path + ": no such file or not readable");
    return {info.st_dev, info.st_ino, info.st_size, info.st_mtim, info.st_ctim};
}

std::shared_ptr<PluginLibrary> LibraryCache::loadedUnchanged(const std::string& path,
                                                             const FileStamp& stamp) {
    const auto seen = byPath_.find(path);
    if (seen == byPath_.end() || !(seen->second.stamp == stamp)) return nullptr;
    const auto loaded = byContent_.find(seen->second.sha256);
    return loaded == byContent_.end() ? nullptr : loaded->second.lock();
}

std::string LibraryCache::contentHash(const std::string& path) {
    const FileStamp stamp = stampOf(path);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto seen = byPath_.find(path);
        if (seen != byPath_.end() && seen->second.stamp == stamp) return seen->second.sha256;
    }
    const std::string hash = util::sha256Hex(readWhole(path));
    std::lock_guard<std::mutex> lock(mutex_);
    byPath_[path] = {stamp, hash};
    return hash;
}

std::shared_ptr<PluginLibrary> LibraryCache::get(const std::string& path) {
    const FileStamp stamp = stampOf(path);  // before reading: a later change is seen next time
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (auto loaded = loadedUnchanged(path, stamp)) return loaded;
    }
    const std::string bytes = readWhole(path);
    const std::string hash = util::sha256Hex(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    byPath_[path] = {stamp, hash};
    if (auto loaded = byContent_[hash].lock()) return loaded;

    const std::string copy = writePrivateCopy(path, bytes);
    std::shared_ptr<PluginLibrary> library;
    try {
        library = PluginLibrary::load(copy, path);
    } catch (...) {
        std::remove(copy.c_str());
        throw;
    }
    std::remove(copy.c_str());
    byContent_[hash] = library;
    for (auto it = byContent_.begin(); it != byContent_.end();)  // forget unloaded ones
        it = it->second.expired() ? byContent_.erase(it) : std::next(it);
    for (auto it = byPath_.begin(); it != byPath_.end();)
        it = byContent_.count(it->second.sha256) ? std::next(it) : byPath_.erase(it);
    return library;
}

}  // namespace agenthost::plugin
