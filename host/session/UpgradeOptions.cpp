#include "session/UpgradeOptions.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <charconv>

namespace agenthost::session {
namespace {

std::optional<std::int64_t> parseInteger(const std::string& text) {
    std::int64_t value = 0;
    const auto* end = text.data() + text.size();
    auto [next, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc() || next != end) return std::nullopt;
    return value;
}

}  // namespace

UpgradeOptions parseUpgradeOptions(const std::string& query) {
    UpgradeOptions options;
    if (query.empty()) return options;
    Poco::URI::QueryParameters parameters;
    try {
        Poco::URI uri;
        uri.setRawQuery(query);
        parameters = uri.getQueryParameters();
    } catch (const Poco::Exception&) {
        options.invalid = "the upgrade URL's query string is malformed";
        return options;
    }
    for (const auto& [name, value] : parameters) {
        if (name == "protocol") {
            if (value == "2")
                options.protocol = 2;
            else if (value != "1")
                options.invalid = "protocol must be 1 or 2";
        } else if (name == "conversation") {
            options.conversationId = value;
        } else if (name == "after_seq") {
            options.afterSeq = parseInteger(value);
            if (!options.afterSeq) options.invalid = "after_seq must be an integer";
        } else if (name == "events") {
            std::string unknown;
            if (auto filter = protocol::EventFilter::parse(value, &unknown))
                options.events = *filter;
            else
                options.invalid = "events: \"" + unknown + "\" is not an event kind";
        }
    }
    if (!options.invalid.empty()) options.events = protocol::EventFilter::all();
    // A resume is a protocol 2 request, with or without protocol=2.
    if (options.conversationId || options.afterSeq) options.protocol = 2;
    return options;
}

}  // namespace agenthost::session
