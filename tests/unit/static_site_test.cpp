// web::StaticSite: which files of the page's folder are served, and with what type and ETag.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/TempDir.h"
#include "web/StaticSite.h"

namespace agenthost::web {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<const StaticSite> load(const test::TempDir& dir, std::string& problem) {
    return StaticSite::load(dir.path(), problem);
}

TEST(StaticSite, ServesEveryVisibleFileWithItsTypeAndNothingHidden) {
    test::TempDir dir;
    dir.write("index.html", "<!doctype html>");
    dir.write("main.js", "export {};");
    fs::create_directories(dir.file("img"));
    dir.write("img/icon.svg", "<svg/>");
    dir.write(".env", "SECRET=1");
    fs::create_directories(dir.file(".git"));
    dir.write(".git/config", "[core]");
    std::string problem;
    const auto site = load(dir, problem);
    ASSERT_TRUE(site) << problem;
    EXPECT_EQ(site->size(), 3u);
    EXPECT_EQ(site->find("index.html")->contentType, "text/html; charset=utf-8");
    EXPECT_EQ(site->find("main.js")->contentType, "text/javascript; charset=utf-8");
    EXPECT_EQ(site->find("img/icon.svg")->body, "<svg/>");
    EXPECT_EQ(site->find(".env"), nullptr);
    EXPECT_EQ(site->find(".git/config"), nullptr);
    EXPECT_EQ(site->find("../index.html"), nullptr);
    EXPECT_EQ(site->find("./index.html"), nullptr);
    EXPECT_EQ(site->find("img//icon.svg"), nullptr);
}

TEST(StaticSite, TheEtagFollowsTheContent) {
    test::TempDir one, two;
    one.write("index.html", "one");
    two.write("index.html", "two");
    std::string problem;
    const auto first = load(one, problem), second = load(two, problem);
    ASSERT_TRUE(first && second) << problem;
    const std::string etag = first->find("index.html")->etag;
    EXPECT_EQ(etag.size(), 34u);
    EXPECT_EQ(etag.front(), '"');
    EXPECT_NE(etag, second->find("index.html")->etag);
}

TEST(StaticSite, AFolderWithoutIndexOrNoFolderIsRefusedWithTheReason) {
    test::TempDir dir;
    dir.write("main.js", "");
    std::string problem;
    EXPECT_FALSE(load(dir, problem));
    EXPECT_NE(problem.find("no index.html"), std::string::npos) << problem;
    EXPECT_FALSE(StaticSite::load(dir.file("missing"), problem));
    EXPECT_NE(problem.find("is not a folder"), std::string::npos) << problem;
}

TEST(StaticSite, AFolderFarBeyondAPageIsRefused) {
    test::TempDir dir;
    dir.write("index.html", "");
    for (std::size_t i = 0; i < StaticSite::kMaxFiles; ++i)
        dir.write("f" + std::to_string(i) + ".txt", "x");
    std::string problem;
    EXPECT_FALSE(load(dir, problem));
    EXPECT_NE(problem.find("more than"), std::string::npos) << problem;
}

TEST(StaticSite, UnknownTypesAreOctetStreams) {
    EXPECT_EQ(contentTypeOf("a.css"), "text/css; charset=utf-8");
    EXPECT_EQ(contentTypeOf("a.exe"), "application/octet-stream");
    EXPECT_EQ(contentTypeOf("Makefile"), "application/octet-stream");
}

}  // namespace
}  // namespace agenthost::web
