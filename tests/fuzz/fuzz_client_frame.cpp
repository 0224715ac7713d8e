// parseClientFrame (host/protocol/Frames): what a client's text frame asks for. The frame
// decoder lets only valid UTF-8 through, so only that is tried. The fast path for flat objects
// must agree with Poco's full parser: the same object, written so that only the full parser can
// read it (with a number field the fast path refuses), asks for the same thing; a text that is
// not a JSON object is always invalid; and the text a frame carries is valid UTF-8.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "FuzzSupport.h"
#include "protocol/Frames.h"
#include "util/Utf8.h"

using agenthost::protocol::ClientFrame;
using agenthost::protocol::parseClientFrame;

namespace {

// `text` as a JSON object, or null when Poco's parser says it is not one.
Poco::JSON::Object::Ptr asObject(const std::string& text) {
    try {
        auto parsed = Poco::JSON::Parser().parse(text);
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) return nullptr;
        return parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        return nullptr;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    if (!agenthost::util::isValidUtf8(text)) return 0;
    const ClientFrame frame = parseClientFrame(text);
    if (frame.kind == ClientFrame::Kind::Invalid) FUZZ_CHECK(!frame.content.empty());
    // What reaches a plugin (and is echoed to clients in user frames) is UTF-8 text too.
    FUZZ_CHECK(agenthost::util::isValidUtf8(frame.content));

    Poco::JSON::Object::Ptr object = asObject(text);
    if (!object) {
        FUZZ_CHECK(frame.kind == ClientFrame::Kind::Invalid);
        return 0;
    }
    object->set("\x7f-full-parser", 1);
    std::ostringstream written;
    try {
        object->stringify(written);
    } catch (const Poco::Exception&) {
        return 0;  // Poco cannot write what it read (checked above: the content is UTF-8)
    }
    const ClientFrame full = parseClientFrame(written.str());
    FUZZ_CHECK(full.kind == frame.kind);
    FUZZ_CHECK(full.content == frame.content);
    FUZZ_CHECK(full.afterSeq == frame.afterSeq);
    FUZZ_CHECK(full.accept == frame.accept);
    return 0;
}
