#include "CaCertificates.h"

#include <curl/curl.h>
#include <dirent.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace agenthost::claude {
namespace {

// Enough of a bundle to find its first certificate; a bundle starts with one, or with comments.
constexpr std::size_t kMaxScannedBytes = 1 << 20;

bool holdsPemCertificate(std::ifstream& in) {
    std::string head(kMaxScannedBytes, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
    return head.find("-----BEGIN CERTIFICATE-----") != std::string::npos;
}

bool readableFile(const char* path) {
    return path != nullptr && std::ifstream(path, std::ios::binary).good();
}

// OpenSSL finds certificates in a CA folder by subject hash: names like 3513523f.0.
bool isHashedCertificateName(const char* name) {
    std::size_t i = 0;
    for (; i < 8; ++i)
        if (!std::isxdigit(static_cast<unsigned char>(name[i]))) return false;
    if (name[i++] != '.' || name[i] == '\0') return false;
    for (; name[i] != '\0'; ++i)
        if (!std::isdigit(static_cast<unsigned char>(name[i]))) return false;
    return true;
}

bool folderHoldsCertificates(const char* path) {
    if (path == nullptr) return false;
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path), &::closedir);
    if (!dir) return false;
    while (const dirent* entry = ::readdir(dir.get()))
        if (isHashedCertificateName(entry->d_name)) return true;
    return false;
}

std::string describeDefaults(const char* file, const char* folder) {
    std::string text;
    if (file != nullptr) text += std::string("CA file ") + file;
    if (folder != nullptr) text += std::string(text.empty() ? "" : " and ") + "CA folder " + folder;
    return text;
}

}  // namespace

void checkCaFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::invalid_argument("ca_file " + path + " cannot be read (" + std::strerror(errno) +
                                    ")");
    if (!holdsPemCertificate(in))
        throw std::invalid_argument("ca_file " + path +
                                    " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
}

std::string missingCaCertificates(const ClaudeConfig& config) {
    if (config.baseUrl.rfind("https://", 0) != 0) return "";
    const std::string advice = " in the " + config.section() + " section";
    if (!config.caFile.empty()) {
        if (readableFile(config.caFile.c_str())) return "";
        return "ca_file " + config.caFile + advice + " cannot be read, so the TLS certificate of " +
               config.baseUrl + " cannot be verified";
    }
    // The defaults this libcurl was built with (Debian: /etc/ssl/certs/ca-certificates.crt and
    // /etc/ssl/certs). A libcurl too old to say, or built without defaults, is not judged.
    const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
    if (info->age < CURLVERSION_SEVENTH || (info->cainfo == nullptr && info->capath == nullptr))
        return "";
    if (readableFile(info->cainfo) || folderHoldsCertificates(info->capath)) return "";
    return "no CA certificates to verify the TLS certificate of " + config.baseUrl +
           " with (libcurl's " + describeDefaults(info->cainfo, info->capath) +
           " hold none): install them with apt-get install ca-certificates, or set ca_file" +
           advice + " to a PEM bundle";
}

}  // namespace agenthost::claude
