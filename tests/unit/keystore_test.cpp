// auth::KeyStore decisions and the generated key file.
#include "auth/KeyStore.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/TempDir.h"
#include "util/Digest.h"

namespace agenthost::auth {
namespace {

config::KeySettings key(const std::string& name, const std::string& secret,
                        std::vector<std::string> routes = {}) {
    config::KeySettings k;
    k.name = name;
    k.sha256Hex = util::sha256Hex(secret);
    k.allRoutes = routes.empty();
    k.routes = std::move(routes);
    return k;
}

TEST(KeyStore, MatchingKeyIsAllowedAndNamed) {
    KeyStore store({key("phone", "phone-secret")});
    const Decision d = store.check("phone-secret", "echo");
    EXPECT_EQ(d.verdict, Verdict::Allowed);
    EXPECT_EQ(d.keyName, "phone");
}

TEST(KeyStore, WrongKeyIsInvalid) {
    KeyStore store({key("phone", "phone-secret")});
    for (const std::string wrong : {"", "phone-secre", "phone-secret ", "PHONE-SECRET"}) {
        const Decision d = store.check(wrong, "echo");
        EXPECT_EQ(d.verdict, Verdict::InvalidKey) << wrong;
        EXPECT_EQ(d.keyName, "");
    }
}

TEST(KeyStore, KeyConfiguredAsItsHashMatchesTheKeyItself) {
    auto settings = key("hashed", "x");
    settings.sha256Hex = util::sha256Hex("the-real-key");
    KeyStore store({settings});
    EXPECT_EQ(store.check("the-real-key", "echo").verdict, Verdict::Allowed);
    EXPECT_EQ(store.check(settings.sha256Hex, "echo").verdict, Verdict::InvalidKey);
}

TEST(KeyStore, AllowlistForbidsOtherRoutes) {
    KeyStore store({key("limited", "limited-secret", {"echo", "claude"})});
    EXPECT_EQ(store.check("limited-secret", "echo").verdict, Verdict::Allowed);
    EXPECT_EQ(store.check("limited-secret", "claude").verdict, Verdict::Allowed);
    const Decision d = store.check("limited-secret", "codex");
    EXPECT_EQ(d.verdict, Verdict::Forbidden);
    EXPECT_EQ(d.keyName, "limited");
}

TEST(KeyStore, StarAllowsEveryRoute) {
    KeyStore store({key("all", "all-secret")});
    for (const std::string route : {"echo", "claude", "anything"})
        EXPECT_EQ(store.check("all-secret", route).verdict, Verdict::Allowed) << route;
}

TEST(KeyStore, SeveralKeysEachWithTheirOwnRoutes) {
    KeyStore store(
        {key("a", "secret-a", {"echo"}), key("b", "secret-b", {"claude"}), key("c", "secret-c")});
    EXPECT_EQ(store.check("secret-a", "echo").keyName, "a");
    EXPECT_EQ(store.check("secret-a", "claude").verdict, Verdict::Forbidden);
    EXPECT_EQ(store.check("secret-b", "claude").keyName, "b");
    EXPECT_EQ(store.check("secret-b", "echo").verdict, Verdict::Forbidden);
    EXPECT_EQ(store.check("secret-c", "codex").keyName, "c");
    EXPECT_EQ(store.check("secret-d", "echo").verdict, Verdict::InvalidKey);
}

TEST(KeyStore, EmptyStoreRefusesEverything) {
    KeyStore store({});
    EXPECT_TRUE(store.empty());
    EXPECT_EQ(store.check("", "echo").verdict, Verdict::InvalidKey);
}

TEST(GeneratedKey, CreatedOnceAsAPrivateFileThenReused) {
    test::TempDir dir;
    const std::string stateDir = dir.file("state/nested");
    const GeneratedKey first = loadOrCreateGeneratedKey(stateDir);
    EXPECT_TRUE(first.created);
    EXPECT_GE(first.secret.size(), 32u);
    EXPECT_EQ(first.path, stateDir + "/generated.key");
    struct stat info {};
    ASSERT_EQ(::stat(first.path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);

    const GeneratedKey second = loadOrCreateGeneratedKey(stateDir);
    EXPECT_FALSE(second.created);
    EXPECT_EQ(second.secret, first.secret);
    EXPECT_EQ(second.settings.sha256Hex, util::sha256Hex(first.secret));
    EXPECT_TRUE(second.settings.allRoutes);

    KeyStore store({second.settings});
    EXPECT_EQ(store.check(first.secret, "echo").verdict, Verdict::Allowed);
}

TEST(GeneratedKey, DifferentFoldersGetDifferentKeys) {
    test::TempDir a, b;
    EXPECT_NE(loadOrCreateGeneratedKey(a.path()).secret, loadOrCreateGeneratedKey(b.path()).secret);
}

}  // namespace
}  // namespace agenthost::auth
