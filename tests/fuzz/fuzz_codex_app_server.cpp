// `codex app-server` JSON-RPC lines (plugins/codex_bridgehub): each line the child prints is
// repaired to UTF-8 and parsed as the connection does, then read as the turn reads it (ids,
// error codes, deltas, usage counts) and its thread items converted to exec items (execItemOf)
// and shown (itemEvent). No line makes any of this throw; what is shown is valid UTF-8 with a
// JSON object as event data.
#include <Poco/JSON/Parser.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "AppServerItems.h"
#include "CodexItems.h"
#include "CodexJsonEvents.h"
#include "FuzzSupport.h"
#include "JsonFields.h"
#include "OutputDecoder.h"
#include "util/Utf8.h"

using namespace codex_bridgehub;
using Poco::JSON::Object;

namespace {

// As AppServerConnection::onLine: a line that is not a JSON object is ignored.
Object::Ptr parseObject(const std::string& line) {
    try {
        return Poco::JSON::Parser().parse(line).extract<Object::Ptr>();
    } catch (const std::exception&) {
        return nullptr;
    }
}

bool isJsonObject(const std::string& text) {
    return parseObject(text) != nullptr;
}

void showItem(ItemPhase phase, const Object::Ptr& item) {
    const Object::Ptr execItem = execItemOf(item);
    if (!execItem) return;
    FUZZ_CHECK(agenthost::util::isValidUtf8(json::stringField(execItem, "id")));
    FUZZ_CHECK(agenthost::util::isValidUtf8(json::stringField(execItem, "text")));
    const CodexEvent event = itemEvent(phase, execItem);
    FUZZ_CHECK(agenthost::util::isValidUtf8(event.text));
    if (event.kind == CodexEvent::Kind::Event) {
        FUZZ_CHECK(!event.event.kind.empty());
        FUZZ_CHECK(agenthost::util::isValidUtf8(event.event.content));
        FUZZ_CHECK(isJsonObject(event.event.data));
    }
}

void readMessage(const Object::Ptr& message) {
    json::intField(message, "id");
    const Object::Ptr error = message->getObject("error");
    json::intField(error, "code");
    json::stringField(error, "message");
    const std::string method = json::stringField(message, "method");
    const Object::Ptr params = message->getObject("params");
    json::stringField(params, "threadId");
    json::stringField(params, "turnId");
    json::stringField(params, "itemId");
    json::stringField(params, "delta");
    json::intField(params, "summaryIndex");
    json::boolField(params, "willRetry");
    const Object::Ptr usage = params ? params->getObject("tokenUsage") : nullptr;
    for (const char* which : {"total", "last"}) {
        const Object::Ptr counts = usage ? usage->getObject(which) : nullptr;
        json::intField(counts, "inputTokens");
        json::intField(counts, "outputTokens");
    }
    const Object::Ptr item = params ? params->getObject("item") : nullptr;
    showItem(method == "item/completed" ? ItemPhase::Completed : ItemPhase::Started, item);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    LineBuffer lines;
    lines.feed(bytes, [](std::string_view line) {
        if (const Object::Ptr message = parseObject(repairUtf8(line))) readMessage(message);
    });
    return 0;
}
