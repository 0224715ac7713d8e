// /api/status tells an anonymous caller nothing about the file system; an admin key with
// ?detail=full adds the library paths and the reload error.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "RawHttp.h"
#include "support/HostProcess.h"
#include "support/Wait.h"
#include "support/WsClient.h"

namespace agenthost::test {
namespace {

constexpr const char* kAdminKey = "admin-key-0123456789";

HostConfig adminConfig(const std::string& extra = "") {
    HostConfig config;
    config.sections = "[key.test]\nsecret = " + std::string(kTestKey) +
                      "\n\n[key.ops]\nsecret = " + kAdminKey +
                      "\nadmin = true\n\n[plugin.echo]\nlibrary = echo\n" + extra;
    return config;
}

RawResponse getStatus(const HostProcess& host, const std::string& target,
                      const std::string& key = "") {
    RawHttp client(host.port());
    std::string head = "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
    if (!key.empty()) head += "Authorization: Bearer " + key + "\r\n";
    client.send(head + "\r\n");
    auto responses = client.read(1);
    if (responses.empty()) throw std::runtime_error("no response: " + client.received());
    return responses[0];
}

Poco::JSON::Object::Ptr echoEntry(const Poco::JSON::Object::Ptr& status) {
    return status->getArray("plugins")->getObject(0);
}

TEST(StatusDetail, AnonymousStatusHasNoLibraryPath) {
    HostProcess host(adminConfig());
    for (const char* target : {"/api/status", "/api/status?detail=short"}) {
        SCOPED_TRACE(target);
        auto response = getStatus(host, target);
        ASSERT_EQ(response.status, 200);
        auto entry = echoEntry(parseJson(response.body));
        EXPECT_FALSE(entry->has("library_path"));
        EXPECT_EQ(entry->getValue<std::string>("library"), "echo");
        EXPECT_EQ(response.body.find(pluginBuildDirectory()), std::string::npos) << response.body;
    }
}

TEST(StatusDetail, AdminKeyWithDetailFullAddsLibraryPath) {
    HostProcess host(adminConfig());
    auto response = getStatus(host, "/api/status?detail=full", kAdminKey);
    ASSERT_EQ(response.status, 200);
    auto entry = echoEntry(parseJson(response.body));
    ASSERT_TRUE(entry->has("library_path"));
    EXPECT_NE(entry->getValue<std::string>("library_path").find("echo"), std::string::npos);
}

TEST(StatusDetail, DetailFullNeedsAnAdminKey) {
    HostProcess host(adminConfig());
    auto anonymous = getStatus(host, "/api/status?detail=full");
    EXPECT_EQ(anonymous.status, 401);
    EXPECT_EQ(parseJson(anonymous.body)->getValue<std::string>("error"), "invalid_api_key");
    auto plainKey = getStatus(host, "/api/status?detail=full", kTestKey);
    EXPECT_EQ(plainKey.status, 403);
    EXPECT_EQ(parseJson(plainKey.body)->getValue<std::string>("error"), "forbidden");
    auto wrongKey = getStatus(host, "/api/status?detail=full", "not-a-key");
    EXPECT_EQ(wrongKey.status, 403);
}

TEST(StatusDetail, ReloadErrorIsShownToAdminsOnly) {
    HostProcess host(adminConfig());
    HostConfig broken = adminConfig("\n[plugin.missing]\nlibrary = no_such_plugin\n");
    host.writeConfig(broken);
    host.signal(1);
    ASSERT_TRUE(waitUntil([&] {
        return !parseJson(getStatus(host, "/api/status").body)
                    ->getObject("reload")
                    ->getValue<bool>("ok");
    }));
    auto anonymous = parseJson(getStatus(host, "/api/status").body)->getObject("reload");
    EXPECT_FALSE(anonymous->has("error"));
    auto admin =
        parseJson(getStatus(host, "/api/status?detail=full", kAdminKey).body)->getObject("reload");
    ASSERT_TRUE(admin->has("error"));
    EXPECT_NE(admin->getValue<std::string>("error").find("no_such_plugin"), std::string::npos);
}

}  // namespace
}  // namespace agenthost::test
