// The C++ SDK layer (plugin.hpp) seen from the raw C ABI: echo.so driven by a recording host.
// What a host relies on: finish exactly once, nothing sent after finish, the context alive until
// request_release, approvals answered once and never after a cancel, and instance_destroy
// finishing and freeing what the host did not release (AddressSanitizer's leak check holds the
// SDK to the last part).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "support/BuildPaths.h"
#include "support/RecordingHost.h"

namespace agenthost::test {
namespace {

class SdkContract : public ::testing::Test {
  protected:
    agenthost_instance_plugin_ptr echo(const std::map<std::string, std::string>& settings = {}) {
        std::string error;
        auto instance = host.newInstance(settings, &error);
        EXPECT_NE(instance, nullptr) << error;
        return instance;
    }
    static Recorded snapshot(const Recorded& record) {
        std::lock_guard<std::mutex> lock(RecordingHost::mutex());
        return record;
    }
    static bool finished(const Recorded& record) {
        return RecordingHost::waitFor([&] { return record.finishes > 0; });
    }

    RecordingHost host{pluginBuildDirectory() + "/echo.so"};
};

TEST_F(SdkContract, TheTableSaysWhoItIsAndWhatItNeeds) {
    const auto& api = host.api();
    EXPECT_EQ(api.abi_major, AGENTHOST_ABI_MAJOR);
    EXPECT_EQ(api.min_host_minor, 0u);
    EXPECT_EQ(std::string(api.name.data, api.name.size), "echo");
    EXPECT_EQ(api.flags & AGENTHOST_PLUGIN_NONBLOCKING_START, AGENTHOST_PLUGIN_NONBLOCKING_START);
    EXPECT_NE(api.approval_decided, nullptr);
}

TEST_F(SdkContract, ABadSettingIsRefusedWithItsReasonInTheBuffer) {
    std::string error;
    EXPECT_EQ(host.newInstance({{"repeat", "0"}}, &error), nullptr);
    EXPECT_EQ(error, "repeat must be at least 1");
}

TEST_F(SdkContract, AShortAnswerIsFinishedInsideStartAndReleasedAfter) {
    auto instance = echo();
    Recorded record;
    ASSERT_EQ(host.start(instance, record, "hello"), AGENTHOST_START_ACCEPTED);
    const Recorded seen = snapshot(record);  // no waiting: it all happened inside start
    EXPECT_EQ(seen.text, "hello");
    EXPECT_EQ(seen.finishes, 1);
    EXPECT_EQ(seen.code, "");
    EXPECT_NE(seen.context, nullptr);
    host.api().request_cancel(instance, record.context, AGENTHOST_CANCEL_CLIENT);  // ignored
    host.api().request_release(instance, record.context);
    host.api().instance_destroy(instance);
    EXPECT_EQ(snapshot(record).finishes, 1);
}

TEST_F(SdkContract, EventsComeBeforeTheTextInOrder) {
    auto instance = echo({{"events", "true"}});
    Recorded record;
    ASSERT_EQ(host.start(instance, record, "héllo"), AGENTHOST_START_ACCEPTED);
    const Recorded seen = snapshot(record);
    EXPECT_EQ(seen.events, (std::vector<std::string>{"thinking: The user wrote 5 characters.",
                                                     "status: echoing"}));
    EXPECT_EQ(seen.text, "héllo");
    host.api().request_release(instance, record.context);
    host.api().instance_destroy(instance);
}

TEST_F(SdkContract, AnAcceptedApprovalAnswersAndADeclinedOneFails) {
    auto instance = echo({{"ask_approval", "true"}});
    Recorded accepted, declined;
    ASSERT_EQ(host.start(instance, accepted, "yes", 1, AGENTHOST_REQUEST_CAN_ASK_APPROVAL),
              AGENTHOST_START_ACCEPTED);
    ASSERT_EQ(host.start(instance, declined, "no", 2, AGENTHOST_REQUEST_CAN_ASK_APPROVAL),
              AGENTHOST_START_ACCEPTED);
    ASSERT_EQ(snapshot(accepted).approvalCookies.size(), 1u);
    EXPECT_EQ(snapshot(accepted).finishes, 0);  // waits for the client

    host.api().approval_decided(instance, accepted.context, accepted.approvalCookies[0],
                                AGENTHOST_APPROVAL_ACCEPT);
    host.api().approval_decided(instance, declined.context, declined.approvalCookies[0],
                                AGENTHOST_APPROVAL_DECLINE);
    ASSERT_TRUE(finished(accepted));
    ASSERT_TRUE(finished(declined));
    EXPECT_EQ(snapshot(accepted).text, "yes");
    EXPECT_EQ(snapshot(accepted).code, "");
    EXPECT_EQ(snapshot(declined).text, "");
    EXPECT_EQ(snapshot(declined).code, "declined");

    // A second answer to the same question is ignored.
    host.api().approval_decided(instance, accepted.context, accepted.approvalCookies[0],
                                AGENTHOST_APPROVAL_ACCEPT);
    EXPECT_EQ(snapshot(accepted).finishes, 1);
    EXPECT_FALSE(snapshot(accepted).sentAfterFinish);
    host.api().request_release(instance, accepted.context);
    host.api().request_release(instance, declined.context);
    host.api().instance_destroy(instance);
}

TEST_F(SdkContract, WithNobodyToAskEchoAppliesItsPolicyAndAnswers) {
    auto instance = echo({{"ask_approval", "true"}});
    Recorded record;
    record.approvalAnswer = AGENTHOST_EMIT_UNSUPPORTED;
    ASSERT_EQ(host.start(instance, record, "protocol one"), AGENTHOST_START_ACCEPTED);
    EXPECT_EQ(snapshot(record).text, "protocol one");
    EXPECT_EQ(snapshot(record).finishes, 1);
    host.api().request_release(instance, record.context);
    host.api().instance_destroy(instance);
}

TEST_F(SdkContract, ACancelWhileWaitingForApprovalEndsTheRequestAndTheAnswerIsIgnored) {
    auto instance = echo({{"ask_approval", "true"}});
    Recorded record;
    ASSERT_EQ(host.start(instance, record, "never", 1, AGENTHOST_REQUEST_CAN_ASK_APPROVAL),
              AGENTHOST_START_ACCEPTED);
    host.api().request_cancel(instance, record.context, AGENTHOST_CANCEL_DISCONNECT);
    ASSERT_TRUE(finished(record));  // the question dies with the request: finished, not a hang
    host.api().approval_decided(instance, record.context, record.approvalCookies.at(0),
                                AGENTHOST_APPROVAL_ACCEPT);
    EXPECT_EQ(snapshot(record).text, "");
    EXPECT_EQ(snapshot(record).finishes, 1);
    host.api().request_release(instance, record.context);
    host.api().instance_destroy(instance);
}

TEST_F(SdkContract, DestroyFinishesAndFreesWhatTheHostDidNotRelease) {
    auto instance = echo({{"delay_ms", "60000"}});
    std::vector<Recorded> records(4);
    for (std::size_t i = 0; i < records.size(); ++i)
        ASSERT_EQ(host.start(instance, records[i], "slow", i + 1), AGENTHOST_START_ACCEPTED);
    host.api().instance_destroy(instance);  // cancels, joins, frees the four contexts
    for (const auto& record : records) {
        const Recorded seen = snapshot(record);
        EXPECT_EQ(seen.finishes, 1);
        EXPECT_FALSE(seen.sentAfterFinish);
    }
}

}  // namespace
}  // namespace agenthost::test
