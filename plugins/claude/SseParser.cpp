#include "SseParser.h"

#include <stdexcept>

namespace agenthost::claude {

void SseParser::feed(std::string_view bytes, const EventSink& onEvent) {
    while (!bytes.empty()) {
        if (lastWasCarriageReturn_ && bytes.front() == '\n') bytes.remove_prefix(1);
        lastWasCarriageReturn_ = false;
        const std::size_t end = bytes.find_first_of("\r\n");
        if (end == std::string_view::npos) {
            if (partialLine_.size() + bytes.size() > kMaxLineBytes)
                throw std::length_error("event stream line longer than 8 MiB");
            partialLine_.append(bytes);
            return;
        }
        lastWasCarriageReturn_ = bytes[end] == '\r';
        if (partialLine_.empty()) {
            processLine(bytes.substr(0, end), onEvent);
        } else {
            partialLine_.append(bytes.substr(0, end));
            const std::string line = std::move(partialLine_);
            partialLine_.clear();
            processLine(line, onEvent);
        }
        bytes.remove_prefix(end + 1);
    }
}

void SseParser::processLine(std::string_view line, const EventSink& onEvent) {
    if (line.empty()) {
        dispatch(onEvent);
        return;
    }
    if (line.front() == ':') return;  // a comment (servers use them as keepalives)
    const std::size_t colon = line.find(':');
    const std::string_view field = line.substr(0, colon);
    std::string_view value;
    if (colon != std::string_view::npos) {
        value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }
    if (field == "event") {
        event_.type = std::string(value);
    } else if (field == "data") {
        if (hasData_) event_.data += '\n';
        event_.data.append(value);
        hasData_ = true;
    }
    // "id", "retry" and unknown fields do not matter for one-shot API streams.
}

void SseParser::dispatch(const EventSink& onEvent) {
    // An event without data lines is dropped, as the grammar says.
    if (event_.type.empty()) event_.type = "message";
    if (hasData_) onEvent(event_);
    event_ = SseEvent{};
    hasData_ = false;
}

}  // namespace agenthost::claude
