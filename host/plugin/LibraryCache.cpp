#include "plugin/LibraryCache.h"

#include <Poco/DigestEngine.h>
#include <Poco/Path.h>
#include <Poco/SHA2Engine.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

namespace agenthost::plugin {
namespace {

std::string readWhole(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw LoadError("cannot load " + path + ": no such file or not readable");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string sha256Hex(const std::string& bytes) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(bytes);
    return Poco::DigestEngine::digestToHex(engine.digest());
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

std::shared_ptr<PluginLibrary> LibraryCache::get(const std::string& path) {
    const std::string bytes = readWhole(path);
    const std::string hash = sha256Hex(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
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
    return library;
}

}  // namespace agenthost::plugin
