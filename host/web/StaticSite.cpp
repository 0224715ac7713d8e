#include "web/StaticSite.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/Digest.h"

namespace agenthost::web {
namespace {

namespace fs = std::filesystem;

bool hidden(const fs::path& relative) {
    for (const auto& part : relative)
        if (!part.empty() && part.string()[0] == '.') return true;
    return false;
}

std::string readWhole(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    if (!in) throw std::runtime_error("cannot read " + path.string());
    return out.str();
}

}  // namespace

std::shared_ptr<const StaticSite> StaticSite::load(const std::string& directory,
                                                   std::string& problem) {
    auto site = std::make_shared<StaticSite>();
    site->directory_ = directory;
    std::size_t total = 0;
    try {
        const fs::path root(directory);
        if (!fs::is_directory(root)) {
            problem = directory + " is not a folder";
            return nullptr;
        }
        for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
            const fs::path relative = fs::relative(it->path(), root);
            if (hidden(relative)) {
                if (it->is_directory()) it.disable_recursion_pending();
                continue;
            }
            if (!it->is_regular_file()) continue;
            StaticFile file;
            file.body = readWhole(it->path());
            total += file.body.size();
            if (site->files_.size() >= kMaxFiles || total > kMaxTotalBytes) {
                problem = directory + " holds more than " + std::to_string(kMaxFiles) +
                          " files or " + std::to_string(kMaxTotalBytes >> 20) + " MB";
                return nullptr;
            }
            file.contentType = contentTypeOf(relative.string());
            file.etag = "\"" + util::sha256Hex(file.body).substr(0, 32) + "\"";
            site->files_.emplace(relative.generic_string(), std::move(file));
        }
    } catch (const std::exception& e) {
        problem = e.what();
        return nullptr;
    }
    if (!site->find("index.html")) {
        problem = directory + " has no index.html";
        return nullptr;
    }
    return site;
}

const StaticFile* StaticSite::find(const std::string& relative) const {
    auto it = files_.find(relative);
    return it == files_.end() ? nullptr : &it->second;
}

std::string defaultDirectory() {
    std::error_code error;
    const fs::path binary = fs::read_symlink("/proc/self/exe", error);
    if (error) return "/usr/share/agenthost/web";
    return (binary.parent_path().parent_path() / "share/agenthost/web").string();
}

std::string contentTypeOf(const std::string& path) {
    static const std::map<std::string, std::string> types = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".webmanifest", "application/manifest+json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
    };
    auto it = types.find(fs::path(path).extension().string());
    return it == types.end() ? "application/octet-stream" : it->second;
}

}  // namespace agenthost::web
