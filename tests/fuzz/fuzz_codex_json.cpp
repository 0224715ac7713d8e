// `codex exec --json` output (plugins/codex_bridgehub): the child's raw bytes go through
// OutputDecoder (bytes to valid UTF-8, however the reads split them: the same text as
// repairUtf8 of the whole) and LineBuffer, and each line through parseCodexEvent, which never
// throws and gives only valid UTF-8 text and a JSON object as event data.
#include <Poco/JSON/Parser.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "CodexJsonEvents.h"
#include "FuzzSupport.h"
#include "OutputDecoder.h"
#include "util/Utf8.h"

using namespace codex_bridgehub;

namespace {

bool isJsonObject(const std::string& text) {
    try {
        return Poco::JSON::Parser().parse(text).type() == typeid(Poco::JSON::Object::Ptr);
    } catch (const Poco::Exception&) {
        return false;
    }
}

void checkEvent(const CodexEvent& event) {
    FUZZ_CHECK(agenthost::util::isValidUtf8(event.text));
    if (event.kind == CodexEvent::Kind::Event) {
        FUZZ_CHECK(!event.event.kind.empty());
        FUZZ_CHECK(agenthost::util::isValidUtf8(event.event.content));
        FUZZ_CHECK(agenthost::util::isValidUtf8(event.event.protocol1Text));
        FUZZ_CHECK(isJsonObject(event.event.data));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = agenthost::fuzz::seededInput(data, size);
    OutputDecoder decoder;
    std::string text;
    for (std::string_view piece : agenthost::fuzz::splitBySeed(input.bytes, input.seed, 23)) {
        const std::string decoded = decoder.decode(piece);
        FUZZ_CHECK(agenthost::util::isValidUtf8(decoded));
        text += decoded;
    }
    text += decoder.finish();
    FUZZ_CHECK(text == repairUtf8(input.bytes));
    FUZZ_CHECK(text == agenthost::util::repairUtf8(input.bytes));

    LineBuffer lines;
    lines.feed(text, [](std::string_view line) { checkEvent(parseCodexEvent(line)); });
    checkEvent(parseCodexEvent(lines.takeRest()));
    return 0;
}
