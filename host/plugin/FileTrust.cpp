#include "plugin/FileTrust.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

namespace agenthost::plugin {
namespace {

std::string userName(uid_t uid) {
    passwd entry{};
    passwd* found = nullptr;
    std::vector<char> buffer(4096);
    if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found)
        return found->pw_name;
    return "uid " + std::to_string(uid);
}

}  // namespace

std::string untrustedReason(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return "";
    const uid_t self = ::geteuid();
    if (info.st_uid != 0 && info.st_uid != self)
        return path + " is owned by " + userName(info.st_uid) + ", not by root or by " +
               userName(self) +
               " (the user agenthost runs as), so its owner can make agenthost "
               "run any code: chown " +
               userName(self) + " " + path;
    const bool group = info.st_mode & S_IWGRP, others = info.st_mode & S_IWOTH;
    if (group || others)
        return path + " is writable by " +
               (group && others ? "group and others"
                : group         ? "its group"
                                : "others") +
               ", so they can make agenthost run any code: chmod go-w " + path;
    return "";
}

}  // namespace agenthost::plugin
