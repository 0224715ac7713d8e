// log/TextFormatter writes the text log line exactly as Poco's PatternFormatter did with the
// pattern it replaced, for every priority.
#include <Poco/AutoPtr.h>
#include <Poco/Message.h>
#include <Poco/PatternFormatter.h>
#include <Poco/Timestamp.h>
#include <gtest/gtest.h>

#include "log/TextFormatter.h"

namespace agenthost::log {
namespace {

TEST(TextFormatter, WritesWhatThePatternFormatterWrote) {
    Poco::AutoPtr<Poco::PatternFormatter> poco(
        new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %p %s: %t"));
    TextFormatter ours;
    // 2026-11-27T08:09:05.007123Z (leading zeros) and 2026-12-01T10:19:59.999999Z (the last
    // microsecond of a second: milliseconds are cut, not rounded).
    for (const Poco::Timestamp::TimeVal micros : {1795766945007123LL, 1796120399999999LL}) {
        for (int p = Poco::Message::PRIO_FATAL; p <= Poco::Message::PRIO_TRACE; ++p) {
            Poco::Message message("agenthost.access", "turn key=phone outcome=complete",
                                  static_cast<Poco::Message::Priority>(p));
            message.setTime(Poco::Timestamp(micros));
            std::string expected, actual;
            poco->format(message, expected);
            ours.format(message, actual);
            EXPECT_EQ(actual, expected);
        }
    }
}

}  // namespace
}  // namespace agenthost::log
