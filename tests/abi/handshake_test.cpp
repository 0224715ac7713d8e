// The plugin ABI handshake: PluginLibrary::load and PluginInstance against fixture plugins that
// each get one thing wrong, and `agenthost --check-config` on a config naming one of them.
#include <agenthost/plugin_abi.h>
#include <gtest/gtest.h>

#include <string>

#include "plugin/PluginInstance.h"
#include "plugin/PluginLibrary.h"
#include "support/HostProcess.h"
#include "support/TempDir.h"

namespace agenthost::plugin {
namespace {

const std::string kHostAbi =
    std::to_string(AGENTHOST_ABI_MAJOR) + "." + std::to_string(AGENTHOST_ABI_MINOR);

std::string fixture(const std::string& name) {
    return std::string(ABI_FIXTURE_DIR) + "/" + name + ".so";
}

// The LoadError message of loading `name`, or "" if it loaded.
std::string loadError(const std::string& name) {
    try {
        PluginLibrary::load(fixture(name));
    } catch (const LoadError& e) {
        return e.what();
    }
    return "";
}

config::RouteSettings routeFor(const std::string& name,
                               std::vector<std::pair<std::string, std::string>> settings = {}) {
    config::RouteSettings route;
    route.route = "fixture-route";
    route.library = name;
    route.libraryPath = fixture(name);
    route.settings = std::move(settings);
    return route;
}

#define EXPECT_CONTAINS(text, part) \
    EXPECT_NE(std::string(text).find(part), std::string::npos) << "in: " << (text)

TEST(AbiHandshake, GoodPluginLoads) {
    auto library = PluginLibrary::load(fixture("abi_good"));
    ASSERT_TRUE(library);
    EXPECT_EQ(library->name(), "fixture");
    EXPECT_EQ(library->version(), "0.0.1");
    EXPECT_EQ(library->abiVersion(), kHostAbi);
    EXPECT_EQ(library->path(), fixture("abi_good"));
}

TEST(AbiHandshake, NewerMajorNamesBothVersions) {
    const std::string error = loadError("abi_wrong_major");
    const std::string pluginAbi = std::to_string(AGENTHOST_ABI_MAJOR + 1) + ".0";
    EXPECT_CONTAINS(error, "plugin ABI " + pluginAbi);
    EXPECT_CONTAINS(error, "host ABI " + kHostAbi);
    EXPECT_CONTAINS(error, "major versions differ");
    EXPECT_CONTAINS(error, "abi_wrong_major.so");
}

TEST(AbiHandshake, OlderMajorInTheTableIsRefused) {
    const std::string error = loadError("abi_old_major");
    EXPECT_CONTAINS(error, "plugin ABI 1.0");
    EXPECT_CONTAINS(error, "major versions differ");
}

TEST(AbiHandshake, Abi1LibraryIsRefusedWithHowToRebuild) {
    const std::string error = loadError("abi_v1");
    EXPECT_CONTAINS(error, "abi_v1.so was built for plugin ABI 1");
    EXPECT_CONTAINS(error, "rebuild it against agenthost SDK 2");
    EXPECT_CONTAINS(error, "find_package(AgenthostSDK)");
    EXPECT_CONTAINS(error, "agenthost_add_plugin");
    EXPECT_CONTAINS(error, "docs/plugins.md");
}

TEST(AbiHandshake, PluginNeedingANewerHostMinorIsRefused) {
    const std::string error = loadError("abi_needs_newer_host");
    const std::string needed =
        std::to_string(AGENTHOST_ABI_MAJOR) + "." + std::to_string(AGENTHOST_ABI_MINOR + 1);
    EXPECT_CONTAINS(error, "needs host ABI " + needed + " or newer");
    EXPECT_CONTAINS(error, "host has ABI " + kHostAbi);
}

TEST(AbiHandshake, NewerBuildThatNeedsOnlyThisHostLoads) {
    // Built with a newer SDK minor, min_host_minor 0: a 2.0 host takes it.
    auto library = PluginLibrary::load(fixture("abi_newer_minor"));
    ASSERT_TRUE(library);
    EXPECT_EQ(library->abiVersion(),
              std::to_string(AGENTHOST_ABI_MAJOR) + "." + std::to_string(AGENTHOST_ABI_MINOR + 1));
    PluginInstance instance(library, routeFor("abi_newer_minor"));
    EXPECT_EQ(instance.health().status, AGENTHOST_HEALTH_OK);
}

TEST(AbiHandshake, TooSmallTableIsRefused) {
    const std::string error = loadError("abi_small_struct");
    EXPECT_CONTAINS(error, "too small");
    EXPECT_CONTAINS(error,
                    std::to_string(offsetof(agenthost_plugin_api, approval_decided)) + " bytes");
}

TEST(AbiHandshake, LibraryWithoutEntrySymbolIsNotAPlugin) {
    const std::string error = loadError("abi_no_entry");
    EXPECT_CONTAINS(error, "not an agenthost plugin");
    EXPECT_CONTAINS(error, AGENTHOST_PLUGIN_INIT_SYMBOL);
}

TEST(AbiHandshake, InitReturningNullRefusesTheHost) {
    const std::string error = loadError("abi_entry_null");
    EXPECT_CONTAINS(error, "refused host ABI " + kHostAbi);
    EXPECT_CONTAINS(error, "abi_entry_null.so");
}

TEST(AbiHandshake, MissingFileCannotBeLoaded) {
    const std::string error = loadError("no_such_plugin");
    EXPECT_CONTAINS(error, "cannot load");
    EXPECT_CONTAINS(error, "no_such_plugin.so");
}

TEST(AbiHandshake, FileThatIsNotASharedLibraryCannotBeLoaded) {
    test::TempDir dir;
    const std::string path = dir.write("garbage.so", "this is not an ELF file");
    try {
        PluginLibrary::load(path);
        FAIL() << "garbage loaded";
    } catch (const LoadError& e) {
        EXPECT_CONTAINS(e.what(), "garbage.so");
    }
}

TEST(AbiInstance, GoodPluginCreatesAndDestroysAnInstance) {
    auto library = PluginLibrary::load(fixture("abi_good"));
    auto instance = std::make_unique<PluginInstance>(library, routeFor("abi_good"));
    EXPECT_EQ(instance->route(), "fixture-route");
    const Health health = instance->health();
    EXPECT_EQ(health.status, AGENTHOST_HEALTH_OK);
    EXPECT_EQ(health.detail, "fixture is fine");
    EXPECT_EQ(healthName(health.status), "ok");
    // The fixture refuses every request at once, with no code: no context comes back.
    agenthost_request request{};
    request.struct_size = sizeof request;
    const auto started = instance->start(request, nullptr);
    EXPECT_FALSE(started.accepted);
    EXPECT_EQ(started.context, nullptr);
    EXPECT_EQ(started.refusalCode, "");
    instance.reset();  // instance_destroy; must not crash
}

TEST(AbiInstance, RefusedSettingsThrowWithThePluginsReason) {
    auto library = PluginLibrary::load(fixture("abi_instance_fails"));
    try {
        PluginInstance instance(library, routeFor("abi_instance_fails", {{"model", "gpt-0"}}));
        FAIL() << "the instance was created";
    } catch (const LoadError& e) {
        EXPECT_CONTAINS(e.what(), "[plugin.fixture-route]");
        EXPECT_CONTAINS(e.what(), "model \"gpt-0\" is not supported by route fixture-route");
    }
}

class CheckConfig : public ::testing::Test {
  protected:
    // Runs `agenthost --check-config` on an ini serving `library` at route "bad".
    test::CommandResult check(const std::string& library) {
        const std::string ini =
            dir.write("agenthost.ini", "[server]\nstate_dir = " + dir.file("state") +
                                           "\n[plugins]\n" + "directory = " + ABI_FIXTURE_DIR +
                                           "\n[key.test]\nsecret = " + test::kTestKey +
                                           "\n[plugin.bad]\nlibrary = " + library + "\n");
        return test::runAgenthost("--check-config --config=" + ini);
    }

    test::TempDir dir;
};

TEST_F(CheckConfig, GoodFixturePasses) {
    const auto result = check("abi_good");
    EXPECT_EQ(result.status, 0) << result.output;
    EXPECT_CONTAINS(result.output, "valid");
}

TEST_F(CheckConfig, WrongMajorFailsNamingSectionAndReason) {
    const auto result = check("abi_wrong_major");
    EXPECT_NE(result.status, 0) << result.output;
    EXPECT_CONTAINS(result.output, "[plugin.bad]");
    EXPECT_CONTAINS(result.output, "major versions differ");
    EXPECT_CONTAINS(result.output, "host ABI " + kHostAbi);
}

TEST_F(CheckConfig, Abi1LibraryFailsWithHowToRebuild) {
    const auto result = check("abi_v1");
    EXPECT_NE(result.status, 0) << result.output;
    EXPECT_CONTAINS(result.output, "[plugin.bad]");
    EXPECT_CONTAINS(result.output, "built for plugin ABI 1");
    EXPECT_CONTAINS(result.output, "rebuild it against agenthost SDK 2");
}

TEST_F(CheckConfig, MissingEntryFailsNamingSectionAndReason) {
    const auto result = check("abi_no_entry");
    EXPECT_NE(result.status, 0) << result.output;
    EXPECT_CONTAINS(result.output, "[plugin.bad]");
    EXPECT_CONTAINS(result.output, "not an agenthost plugin");
}

TEST_F(CheckConfig, RefusedSettingsFailNamingSectionAndReason) {
    const auto result = check("abi_instance_fails");
    EXPECT_NE(result.status, 0) << result.output;
    EXPECT_CONTAINS(result.output, "[plugin.bad]");
    EXPECT_CONTAINS(result.output, "is not supported by route bad");
}

}  // namespace
}  // namespace agenthost::plugin
