// Hot reload on SIGHUP, against the real binary: routes and settings change under connected
// clients, a replaced .so is really loaded, and a bad config changes nothing.
#include <Poco/JSON/Array.h>
#include <agenthost/plugin_abi.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include "support/HostProcess.h"
#include "support/WsClient.h"

namespace agenthost::test {
namespace {

namespace fs = std::filesystem;

// The admin key reads /api/status?detail=full, which names library paths and reload errors.
const std::string kAdminKey = "admin-key-0123456789";
const std::string kAdminSection = "[key.ops]\nsecret = " + kAdminKey + "\nadmin = true\n\n";
const std::string kKeySection = "[key.test]\nsecret = test-key-0123456789\n\n" + kAdminSection;
const std::string kEcho = "[plugin.echo]\nlibrary = echo\n";

Poco::JSON::Object::Ptr status(const HostProcess& host) {
    return parseJson(
        host.get("/api/status?detail=full", {{"Authorization", "Bearer " + kAdminKey}}).body);
}

Poco::JSON::Object::Ptr reloadState(const HostProcess& host) {
    return status(host)->getObject("reload");
}

// The route's entry in /api/status, or null.
Poco::JSON::Object::Ptr routeStatus(const HostProcess& host, const std::string& route) {
    auto plugins = status(host)->getArray("plugins");
    for (std::size_t i = 0; i < plugins->size(); ++i) {
        auto entry = plugins->getObject(static_cast<unsigned>(i));
        if (entry->getValue<std::string>("route") == route) return entry;
    }
    return nullptr;
}

// Writes the file with `write`, sends SIGHUP and waits until the reload is reflected in
// /api/status: a new generation, or a failed reload with an error.
template <class WriteFile>
Poco::JSON::Object::Ptr reloadAfter(HostProcess& host, WriteFile write) {
    auto before = reloadState(host);
    const auto generation = before->getValue<int>("generation");
    write();
    host.signal(SIGHUP);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        auto state = reloadState(host);
        if (state->getValue<int>("generation") != generation) return state;
        if (!state->getValue<bool>("ok") &&
            (before->getValue<bool>("ok") ||
             state->getValue<std::string>("error") != before->getValue<std::string>("error")))
            return state;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("reload not reflected in /api/status:\n" + host.output());
}

// Reloads with the harness's [server] and [plugins] (the host's own plugin folder) and
// `sections`.
Poco::JSON::Object::Ptr reloadWith(HostProcess& host, const std::string& sections,
                                   std::map<std::string, std::string> server = {}) {
    HostConfig config;
    config.sections = sections;
    config.server = std::move(server);
    config.pluginDirectory = fs::path(host.configPath()).parent_path() / "plugins";
    return reloadAfter(host, [&] { host.writeConfig(config); });
}

// Copies `source` into the host's plugin folder as `name` the way `install` does: a new file
// renamed over the old one, never an overwrite of a mapped library.
void installPlugin(const HostProcess& host, const std::string& source, const std::string& name) {
    const fs::path folder = fs::path(host.configPath()).parent_path() / "plugins";
    fs::create_directories(folder);
    // Whatever the umask: agenthost refuses a plugin folder that group or others can write.
    fs::permissions(folder, fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
    const fs::path staging = folder / (name + ".new");
    fs::copy_file(source, staging, fs::copy_options::overwrite_existing);
    fs::rename(staging, folder / name);
}

// A host whose plugin folder is its own copy, so tests can replace libraries in it.
class ReloadTest : public ::testing::Test {
  protected:
    void SetUp() override {
        HostConfig config;
        config.sections = kKeySection + kEcho;
        // The folder is created before the host starts: the harness picks the temp dir, so
        // start from the shared build's plugins and switch to our own copy at once.
        host_ = std::make_unique<HostProcess>(config);
        installPlugin(*host_, pluginBuildDirectory() + "/echo.so", "echo.so");
        auto state = reloadWith(*host_, kKeySection + kEcho);
        ASSERT_TRUE(state->getValue<bool>("ok")) << host_->output();
    }

    std::unique_ptr<WsClient> connect(const std::string& route) {
        auto client = std::make_unique<WsClient>(host_->port(), "/api/" + route + "/ws");
        client->authenticate(kTestKey);
        return client;
    }

    std::unique_ptr<HostProcess> host_;
};

TEST_F(ReloadTest, AddedRouteServesWhileOldSessionKeepsChatting) {
    auto old = connect("echo");
    EXPECT_EQ(old->chat("before").text, "before");

    auto state =
        reloadWith(*host_, kKeySection + kEcho + "[plugin.twice]\nlibrary = echo\nrepeat = 2\n");
    ASSERT_TRUE(state->getValue<bool>("ok")) << host_->output();

    auto added = connect("twice");
    EXPECT_EQ(added->chat("ab").text, "abab");
    EXPECT_EQ(old->chat("after").text, "after");
    ASSERT_TRUE(routeStatus(*host_, "twice"));
}

TEST_F(ReloadTest, ChangedSettingsApplyToTheNextMessageOfAnOpenSession) {
    auto client = connect("echo");
    EXPECT_EQ(client->chat("x").text, "x");
    auto state = reloadWith(*host_, kKeySection + "[plugin.echo]\nlibrary = echo\nrepeat = 3\n");
    ASSERT_TRUE(state->getValue<bool>("ok"));
    EXPECT_EQ(client->chat("x").text, "xxx");
    EXPECT_EQ(routeStatus(*host_, "echo")->getValue<int>("connections"), 1);
}

TEST_F(ReloadTest, StreamingSettingsApplyToNewRequestsAtOnce) {
    auto client = connect("echo");
    EXPECT_EQ(client->chat("abcdef").frames.size(), 2u);  // one message frame + complete
    auto state = reloadWith(*host_, kKeySection + kEcho + "[streaming]\nchunk_chars = 2\n");
    ASSERT_TRUE(state->getValue<bool>("ok"));
    EXPECT_EQ(client->chat("abcdef").frames.size(), 4u);
}

TEST_F(ReloadTest, NewKeysApplyToNewConnections) {
    auto state =
        reloadWith(*host_, "[key.other]\nsecret = other-key-000000000\n\n" + kAdminSection + kEcho);
    ASSERT_TRUE(state->getValue<bool>("ok"));
    WsClient refused(host_->port(), "/api/echo/ws");
    refused.sendText(kTestKey);
    EXPECT_EQ(refused.receiveText(), "error:invalid_api_key");
    WsClient accepted(host_->port(), "/api/echo/ws");
    accepted.authenticate("other-key-000000000");
    EXPECT_EQ(accepted.chat("hi").text, "hi");
}

TEST_F(ReloadTest, RemovedRouteKeepsItsSessionUntilTheDrainTimeout) {
    auto state = reloadWith(*host_, kKeySection + kEcho + "[plugin.gone]\nlibrary = echo\n",
                            {{"drain_timeout_s", "2"}});
    ASSERT_TRUE(state->getValue<bool>("ok"));
    auto doomed = connect("gone");
    EXPECT_EQ(doomed->chat("one").text, "one");

    state = reloadWith(*host_, kKeySection + kEcho, {{"drain_timeout_s", "2"}});
    ASSERT_TRUE(state->getValue<bool>("ok"));
    EXPECT_EQ(handshakeStatus(host_->port(), "/api/gone/ws"), 404);
    EXPECT_EQ(doomed->chat("two").text, "two");  // still served by its old instance
    EXPECT_EQ(doomed->waitForClose(std::chrono::seconds(10)), 1012);
}

TEST_F(ReloadTest, ReplacedLibraryIsLoadedWhileAStreamOnTheOldOneCompletes) {
    auto state =
        reloadWith(*host_, kKeySection + "[plugin.echo]\nlibrary = echo\ndelay_ms = 600\n");
    ASSERT_TRUE(state->getValue<bool>("ok"));
    auto streaming = connect("echo");
    ASSERT_EQ(routeStatus(*host_, "echo")->getValue<std::string>("version"), "1.0.0");
    streaming->sendMessage("slow");  // answered by 1.0.0 after 600 ms

    installPlugin(*host_, ECHO_V2_PLUGIN, "echo.so");
    state = reloadWith(*host_, kKeySection + "[plugin.echo]\nlibrary = echo\ndelay_ms = 600\n");
    ASSERT_TRUE(state->getValue<bool>("ok")) << host_->output();
    EXPECT_EQ(routeStatus(*host_, "echo")->getValue<std::string>("version"), "2.0.0");

    auto reply = streaming->readReply();
    EXPECT_EQ(reply.terminalType(), "complete");
    EXPECT_EQ(reply.text, "slow");

    WsClient fresh(host_->port(), "/api/echo/ws");
    EXPECT_EQ(fresh.authenticate(kTestKey)->getValue<std::string>("version"), "2.0.0");
    // The old session's next message moves it to the new instance too.
    EXPECT_EQ(streaming->chat("next").text, "next");
    EXPECT_EQ(routeStatus(*host_, "echo")->getValue<int>("connections"), 2);
}

TEST_F(ReloadTest, ALibraryOverwrittenInPlaceIsLoadedAgain) {
    // `cp new.so plugins/echo.so` writes into the same inode: only its times and size say so.
    const fs::path installed = fs::path(host_->configPath()).parent_path() / "plugins" / "echo.so";
    auto inodeOf = [&] {
        struct stat info {};
        EXPECT_EQ(::stat(installed.c_str(), &info), 0);
        return info.st_ino;
    };
    const auto inode = inodeOf();
    fs::copy_file(ECHO_V2_PLUGIN, installed, fs::copy_options::overwrite_existing);
    ASSERT_EQ(inodeOf(), inode);
    auto state = reloadWith(*host_, kKeySection + kEcho);
    ASSERT_TRUE(state->getValue<bool>("ok")) << host_->output();
    EXPECT_EQ(routeStatus(*host_, "echo")->getValue<std::string>("version"), "2.0.0");
}

TEST_F(ReloadTest, UnchangedRoutesKeepTheirInstance) {
    auto client = connect("echo");
    const auto libraryPath = routeStatus(*host_, "echo")->getValue<std::string>("library_path");
    auto state = reloadWith(*host_, kKeySection + kEcho + "[plugin.more]\nlibrary = echo\n");
    ASSERT_TRUE(state->getValue<bool>("ok"));
    // The open session counts on the same instance without having sent anything.
    EXPECT_EQ(routeStatus(*host_, "echo")->getValue<int>("connections"), 1);
    EXPECT_EQ(client->chat("same").text, "same");
}

struct BadConfig {
    std::string name;
    std::string sections;
    std::string errorMentions;
    std::string installLibrary = "";  // a fixture to put in the plugin folder first, if any
    bool wholeFile = false;           // `sections` is the whole file, without the harness's part
};

void PrintTo(const BadConfig& config, std::ostream* out) {
    *out << config.name;
}

class InvalidReloadTest : public ReloadTest, public ::testing::WithParamInterface<BadConfig> {};

TEST_P(InvalidReloadTest, LeavesTheRunningGenerationUntouchedAndReportsWhy) {
    auto client = connect("echo");
    if (!GetParam().installLibrary.empty())
        installPlugin(*host_, GetParam().installLibrary,
                      fs::path(GetParam().installLibrary).filename());
    const auto generation = reloadState(*host_)->getValue<int>("generation");
    auto state = GetParam().wholeFile
                     ? reloadAfter(*host_, [&] { host_->writeConfigText(GetParam().sections); })
                     : reloadWith(*host_, GetParam().sections);
    EXPECT_FALSE(state->getValue<bool>("ok"));
    EXPECT_EQ(state->getValue<int>("generation"), generation);
    EXPECT_NE(state->getValue<std::string>("error").find(GetParam().errorMentions),
              std::string::npos)
        << state->getValue<std::string>("error");
    EXPECT_EQ(client->chat("still here").text, "still here");
    WsClient fresh(host_->port(), "/api/echo/ws");
    fresh.authenticate(kTestKey);
    EXPECT_EQ(fresh.chat("new").text, "new");
    EXPECT_EQ(status(*host_)->getValue<std::string>("status"), "running");
}

INSTANTIATE_TEST_SUITE_P(
    EachKindOfError, InvalidReloadTest,
    ::testing::Values(
        BadConfig{"BadValue", kKeySection + kEcho + "[streaming]\nchunk_chars = lots\n",
                  "chunk_chars"},
        BadConfig{"MissingLibrary", kKeySection + kEcho + "[plugin.ghost]\nlibrary = ghost\n",
                  "ghost.so"},
        BadConfig{"AbiMismatch", kKeySection + kEcho + "[plugin.odd]\nlibrary = wrong_major\n",
                  "major versions differ", WRONG_MAJOR_PLUGIN},
        BadConfig{"PluginRefusesSettings",
                  kKeySection + "[plugin.echo]\nlibrary = echo\ndelay_ms = -5\n", "delay_ms"},
        BadConfig{"UnresolvableSecret",
                  "[key.test]\nsecret = env:AGENTHOST_TEST_UNSET_VARIABLE\n\n" + kEcho,
                  "AGENTHOST_TEST_UNSET_VARIABLE"},
        BadConfig{"EmptyFile", "", "the file is empty", "", true},
        BadConfig{"TruncatedToComments", "; agenthost configuration\n\n", "the file is empty", "",
                  true},
        BadConfig{"BinaryGarbage",
                  std::string("\x7f"
                              "ELF\x02\x01\x01\0\0\0\xff\xfe\n",
                              13),
                  "line 1: not text", "", true},
        BadConfig{"NotAnIniLine", kKeySection + kEcho + "sk-pasted-without-a-key\n",
                  "not an ini line"},
        BadConfig{"NoEnabledRoute", kKeySection + "[plugin.echo]\nenabled = false\n",
                  "no enabled [plugin.NAME]"},
        BadConfig{"DuplicateSection",
                  kKeySection + kEcho + "[key.test]\nsecret = replaced-key-000000000\n",
                  "[key.test]: duplicate section, first at line"},
        BadConfig{"DuplicateKey", kKeySection + kEcho + "repeat = 1\nrepeat = 2\n",
                  "[plugin.echo] repeat: duplicate key, first set at line"}),
    [](const ::testing::TestParamInfo<BadConfig>& param) { return param.param.name; });

TEST_F(ReloadTest, RemovingEveryKeyIsRefusedRatherThanSwitchingToAGeneratedKey) {
    auto client = connect("echo");
    const auto generation = reloadState(*host_)->getValue<int>("generation");
    auto state = reloadWith(*host_, kEcho);
    EXPECT_FALSE(state->getValue<bool>("ok"));
    EXPECT_EQ(state->getValue<int>("generation"), generation);
    EXPECT_NE(state->getValue<std::string>("error").find("no [key.*] section"), std::string::npos)
        << state->getValue<std::string>("error");
    EXPECT_FALSE(fs::exists(fs::path(host_->configPath()).parent_path() / "state/generated.key"));
    EXPECT_EQ(client->chat("same key").text, "same key");
    WsClient fresh(host_->port(), "/api/echo/ws");
    fresh.authenticate(kTestKey);
    EXPECT_EQ(fresh.chat("new").text, "new");
}

TEST_F(ReloadTest, AWritablePluginFolderIsRefusedWithTheFix) {
    const fs::path folder = fs::path(host_->configPath()).parent_path() / "plugins";
    fs::permissions(folder, fs::perms::others_write, fs::perm_options::add);
    auto state = reloadWith(*host_, kKeySection + kEcho + "[plugin.more]\nlibrary = echo\n");
    EXPECT_FALSE(state->getValue<bool>("ok"));
    const auto error = state->getValue<std::string>("error");
    EXPECT_NE(error.find("[plugins] directory"), std::string::npos) << error;
    EXPECT_NE(error.find("chmod go-w " + folder.string()), std::string::npos) << error;
    EXPECT_EQ(handshakeStatus(host_->port(), "/api/more/ws"), 404);

    fs::permissions(folder, fs::perms::others_write, fs::perm_options::remove);
    state = reloadWith(*host_, kKeySection + kEcho + "[plugin.more]\nlibrary = echo\n");
    EXPECT_TRUE(state->getValue<bool>("ok")) << host_->output();
}

TEST_F(ReloadTest, AbiMismatchNamesBothVersions) {
    installPlugin(*host_, WRONG_MAJOR_PLUGIN, "wrong_major.so");
    auto state = reloadWith(*host_, kKeySection + kEcho + "[plugin.odd]\nlibrary = wrong_major\n");
    ASSERT_FALSE(state->getValue<bool>("ok"));
    const auto error = state->getValue<std::string>("error");
    EXPECT_NE(error.find("99.0"), std::string::npos) << error;
    const std::string hostAbi =
        std::to_string(AGENTHOST_ABI_MAJOR) + "." + std::to_string(AGENTHOST_ABI_MINOR);
    EXPECT_NE(error.find("host ABI " + hostAbi), std::string::npos) << error;
}

TEST_F(ReloadTest, ListenAddressChangeIsReportedAsNeedingARestart) {
    auto state = reloadWith(*host_, kKeySection + kEcho, {{"port", std::to_string(freePort())}});
    EXPECT_TRUE(state->getValue<bool>("ok"));
    EXPECT_TRUE(state->getValue<bool>("restart_required"));
    EXPECT_EQ(host_->get("/api/health").status, 200);  // still on the old port
}

TEST_F(ReloadTest, SighupStormCoalesces) {
    for (int i = 0; i < 50; ++i) host_->signal(SIGHUP);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const auto generation = reloadState(*host_)->getValue<int>("generation");
    EXPECT_LE(generation, 2 + 10);  // 2 before the storm; a reload takes far longer than a kill()
    EXPECT_GE(generation, 3);
    EXPECT_TRUE(host_->running());
}

TEST_F(ReloadTest, TwoHundredReloadsWhileClientsChatLoseNothingAndLeakNothing) {
    constexpr int kReloads = 200;
    std::atomic<bool> done{false};
    std::atomic<int> failures{0}, replies{0};
    std::vector<std::thread> chatters;
    for (int c = 0; c < 4; ++c) {
        chatters.emplace_back([&, c] {
            try {
                auto client = connect("echo");
                for (int i = 0; !done; ++i) {
                    const std::string text = "c" + std::to_string(c) + "-" + std::to_string(i);
                    auto reply = client->chat(text);
                    if (reply.terminalType() != "complete" || reply.text.find(text) != 0)
                        ++failures;
                    ++replies;
                }
            } catch (const std::exception& e) {
                ADD_FAILURE() << "chatter " << c << ": " << e.what();
                ++failures;
            }
        });
    }
    auto settingsFor = [](int i) {  // alternate settings so every reload makes a new instance
        return kKeySection +
               "[plugin.echo]\nlibrary = echo\nrepeat = " + std::to_string(1 + i % 2) + "\n";
    };
    long rssAfterWarmup = 0;
    int fdsAfterWarmup = 0;
    for (int i = 0; i < kReloads; ++i) {
        auto state = reloadWith(*host_, settingsFor(i));
        ASSERT_TRUE(state->getValue<bool>("ok")) << host_->output();
        if (i == 20) {
            rssAfterWarmup = host_->rssKb();
            fdsAfterWarmup = host_->fdCount();
        }
    }
    done = true;
    for (auto& t : chatters) t.join();
    EXPECT_EQ(failures, 0);
    EXPECT_GT(replies, kReloads / 2);
    EXPECT_LE(host_->fdCount(), fdsAfterWarmup + 2);
    if (kRssIsMeaningful) {
        EXPECT_LT(host_->rssKb(), rssAfterWarmup + 8 * 1024)
            << "RSS grew over " << kReloads << " reloads";
    }
}

}  // namespace
}  // namespace agenthost::test
