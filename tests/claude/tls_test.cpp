// claude.so and TLS: the mock served over HTTPS with a self-signed certificate made at test time,
// libcurl's default CA store, the ca_file setting, and a machine without CA certificates.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <set>

#include "ClaudeHost.h"

namespace agenthost::test {
namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::string pluginDetail(const HostProcess& host) {
    return parseJson(host.get("/api/health").body)
        ->getObject("plugins")
        ->getObject("claude")
        ->getValue<std::string>("detail");
}

std::string healthStatus(const HostProcess& host) {
    return parseJson(host.get("/api/health").body)->getValue<std::string>("status");
}

// A launcher that gives the server its own mount namespace with an empty tmpfs over the folders
// of libcurl's built-in CA file and CA folder: what libcurl sees on a minimal Debian without the
// ca-certificates package. Empty when this libcurl has no built-in defaults or the namespace
// cannot be made here (unshare needs root, or unprivileged user namespaces).
std::vector<std::string> withoutSystemCaCertificates() {
    const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
    if (info->age < CURLVERSION_SEVENTH) return {};
    std::set<std::string> folders;
    if (info->cainfo != nullptr) {
        const std::string file = info->cainfo;
        folders.insert(file.substr(0, file.rfind('/')));
    }
    if (info->capath != nullptr) folders.insert(info->capath);
    if (folders.empty()) return {};
    std::string script;
    for (const auto& folder : folders) {
        if (folder.find_first_of("'\" ") != std::string::npos || folder.empty()) return {};
        script += "if [ -d " + folder + " ]; then mount -t tmpfs none " + folder + "; fi && ";
    }
    script += "exec \"$@\"";
    std::vector<std::string> launcher = {"/usr/bin/unshare", "--mount"};
    if (::geteuid() != 0) launcher.push_back("--map-root-user");
    launcher.insert(launcher.end(), {"/bin/sh", "-c", script, "sh"});

    std::string probe;
    for (const auto& word : launcher) probe += "'" + word + "' ";
    if (std::system((probe + "/bin/true >/dev/null 2>&1").c_str()) != 0) return {};
    return launcher;
}

class ClaudeTls : public ::testing::Test {
  protected:
    HostConfig hostConfig(const std::map<std::string, std::string>& extra = {}) const {
        return hostWith(claudeSection(mock_, "claude", extra));
    }

    std::string authority() const { return "127.0.0.1:" + std::to_string(mock_.port()); }

    TempDir dir_;
    TlsIdentity identity_ = TlsIdentity::selfSigned(dir_.path());
    MockAnthropic mock_{identity_};
};

TEST_F(ClaudeTls, UnknownCertificateIsAnErrorNamingItAndTheSessionGoesOn) {
    HostProcess host(hostConfig({{"max_retries", "2"}}));
    EXPECT_EQ(healthStatus(host), "ok") << pluginDetail(host);  // this machine has a CA store
    auto client = connect(host);
    for (int i = 0; i < 2; ++i) {
        const Reply reply = client->chat("hello over TLS");
        ASSERT_EQ(reply.terminalType(), "error");
        EXPECT_EQ(errorCode(reply), "tls_error");
        const std::string text = content(reply);
        EXPECT_TRUE(contains(text, "Could not verify the TLS certificate of " + authority()))
            << text;
        EXPECT_TRUE(contains(text, "self-signed certificate")) << text;  // libcurl's reason
        EXPECT_TRUE(contains(text, "set ca_file in the [plugin.claude] section")) << text;
        EXPECT_TRUE(contains(text, "apt-get install ca-certificates")) << text;
    }
    EXPECT_EQ(mock_.requestCount(), 0u);  // nothing got past the handshake
    EXPECT_FALSE(contains(host.output(), "retrying")) << host.output();  // retrying cannot help
}

TEST_F(ClaudeTls, CaFileVerifiesTheCertificateAndTheAnswerStreams) {
    mock_.setDefault(streamPieces({"Hello ", "over ", "TLS"}, 12, 3));
    HostProcess host(hostConfig({{"ca_file", identity_.certificateFile}}));
    EXPECT_EQ(healthStatus(host), "ok") << pluginDetail(host);
    auto client = connect(host);
    for (int i = 0; i < 2; ++i) {
        const Reply reply = client->chat("hello over TLS");
        ASSERT_EQ(reply.terminalType(), "complete") << content(reply);
        EXPECT_EQ(reply.text, "Hello over TLS");
    }
    ASSERT_EQ(mock_.requestCount(), 2u);
    EXPECT_EQ(mock_.requests()[1].header("x-api-key"), kApiKey);
}

TEST_F(ClaudeTls, UnreadableCaFileIsAConfigErrorNamingIt) {
    const std::string missing = dir_.file("no-such-ca.pem");
    const std::string ini =
        dir_.write("agenthost.ini", "[server]\nstate_dir = " + dir_.file("state") +
                                        "\n[plugins]\n" + "directory = " + pluginBuildDirectory() +
                                        "\n[key.test]\nsecret = " + kTestKey + "\n" +
                                        claudeSection(mock_, "claude", {{"ca_file", missing}}));
    const CommandResult checked = runAgenthost("--check-config --config=" + ini);
    EXPECT_NE(checked.status, 0) << checked.output;
    EXPECT_TRUE(contains(checked.output, "[plugin.claude]")) << checked.output;
    EXPECT_TRUE(contains(checked.output,
                         "ca_file " + missing + " cannot be read (No such file or directory)"))
        << checked.output;

    // A key is not a certificate; and the server refuses to start on either.
    try {
        HostProcess host(hostConfig({{"ca_file", identity_.privateKeyFile}}));
        FAIL() << "agenthost started with a ca_file that holds no certificate";
    } catch (const std::runtime_error& e) {
        EXPECT_TRUE(
            contains(e.what(), "ca_file " + identity_.privateKeyFile + " holds no PEM certificate"))
            << e.what();
    }
}

TEST_F(ClaudeTls, NoCaCertificatesOnTheMachineIsDegradedAndSaysWhatToInstall) {
    const std::vector<std::string> launcher = withoutSystemCaCertificates();
    if (launcher.empty()) GTEST_SKIP() << "cannot hide libcurl's CA store here (unshare)";

    HostConfig config = hostConfig();
    config.launcher = launcher;
    HostProcess host(config);
    EXPECT_EQ(healthStatus(host), "degraded");
    const std::string detail = pluginDetail(host);
    EXPECT_TRUE(
        contains(detail, "no CA certificates to verify the TLS certificate of " + mock_.baseUrl()))
        << detail;
    EXPECT_TRUE(contains(detail, "apt-get install ca-certificates")) << detail;
    EXPECT_TRUE(contains(detail, "set ca_file in the [plugin.claude] section")) << detail;
    EXPECT_TRUE(contains(host.output(), "no CA certificates")) << host.output();  // at start

    auto client = connect(host);
    const Reply reply = client->chat("hello over TLS");
    ASSERT_EQ(reply.terminalType(), "error");
    EXPECT_EQ(errorCode(reply), "tls_error");
    EXPECT_TRUE(contains(content(reply), "apt-get install ca-certificates")) << content(reply);
    EXPECT_EQ(client->chat("still here?").terminalType(), "error");  // answered, not hung

    // ca_file alone is enough: the private-CA setup on the same bare machine.
    HostConfig withCaFile = hostConfig({{"ca_file", identity_.certificateFile}});
    withCaFile.launcher = launcher;
    HostProcess second(withCaFile);
    EXPECT_EQ(healthStatus(second), "ok") << pluginDetail(second);
    EXPECT_EQ(connect(second)->chat("hello").terminalType(), "complete");
}

}  // namespace
}  // namespace agenthost::test
