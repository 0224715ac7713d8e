// The store's turn encoding (host/store/TurnRecordJson): any turn record the host can build
// (text fields valid UTF-8 as the host makes them; the plugin's opaque turn data any bytes;
// any token counts, any times and seqs) is written as one line and read back unchanged; and any
// line that reads as a record reads back the same once written again.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "FuzzSupport.h"
#include "store/TurnRecordJson.h"
#include "util/Utf8.h"

using agenthost::store::TokenUsage;
using agenthost::store::TurnRecord;
using agenthost::store::TurnStatus;

namespace {

bool same(const TurnRecord& a, const TurnRecord& b) {
    const bool sameUsage =
        a.usage.has_value() == b.usage.has_value() &&
        (!a.usage || (a.usage->inputTokens == b.usage->inputTokens &&
                      a.usage->outputTokens == b.usage->outputTokens &&
                      a.usage->hasCache == b.usage->hasCache &&
                      a.usage->cacheCreationInputTokens == b.usage->cacheCreationInputTokens &&
                      a.usage->cacheReadInputTokens == b.usage->cacheReadInputTokens));
    return sameUsage && a.turn == b.turn && a.user == b.user && a.assistant == b.assistant &&
           a.status == b.status && a.stopReason == b.stopReason && a.errorCode == b.errorCode &&
           a.errorMessage == b.errorMessage && a.startedAt == b.startedAt &&
           a.finishedAt == b.finishedAt && a.seqReserved == b.seqReserved &&
           a.pluginData == b.pluginData;
}

std::string text(FuzzedDataProvider& in) {
    return agenthost::util::repairUtf8(in.ConsumeRandomLengthString(64));
}

TurnRecord recordFrom(FuzzedDataProvider& in) {
    TurnRecord turn;
    turn.turn = in.ConsumeIntegralInRange<int>(0, INT32_MAX);
    turn.status = static_cast<TurnStatus>(in.ConsumeIntegralInRange<int>(0, 4));
    turn.user = text(in);
    turn.assistant = text(in);
    turn.stopReason = text(in);
    if (in.ConsumeBool()) {
        TokenUsage usage;
        usage.inputTokens = in.ConsumeIntegral<std::uint64_t>();
        usage.outputTokens = in.ConsumeIntegral<std::uint64_t>();
        usage.hasCache = in.ConsumeBool();
        if (usage.hasCache) {
            usage.cacheCreationInputTokens = in.ConsumeIntegral<std::uint64_t>();
            usage.cacheReadInputTokens = in.ConsumeIntegral<std::uint64_t>();
        }
        turn.usage = usage;
    }
    turn.errorCode = text(in);
    turn.errorMessage = text(in);
    // Turn numbers, times and seqs are never negative (Poco 1.11 reads a negative number of 18
    // digits or more through a double, inexactly); token counts take any value a plugin reports.
    turn.startedAt = in.ConsumeIntegralInRange<std::int64_t>(0, INT64_MAX);
    turn.finishedAt = in.ConsumeIntegralInRange<std::int64_t>(0, INT64_MAX);
    turn.seqReserved = in.ConsumeIntegralInRange<std::int64_t>(0, INT64_MAX);
    turn.pluginData = in.ConsumeRandomLengthString(64);
    return turn;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Any line: what reads as a record is read the same after writing it again.
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    if (const auto parsed = agenthost::store::parseTurnRecordJson(line)) {
        std::string written;
        agenthost::store::appendTurnRecordJson(written, *parsed);
        const auto again = agenthost::store::parseTurnRecordJson(written);
        FUZZ_CHECK(again.has_value());
        FUZZ_CHECK(same(*again, *parsed));
    }

    // Any record: written, it reads back unchanged, on one line.
    FuzzedDataProvider in(data, size);
    const TurnRecord turn = recordFrom(in);
    std::string written;
    agenthost::store::appendTurnRecordJson(written, turn);
    FUZZ_CHECK(written.find('\n') == std::string::npos);
    const auto read = agenthost::store::parseTurnRecordJson(written);
    FUZZ_CHECK(read.has_value());
    FUZZ_CHECK(same(*read, turn));
    return 0;
}
