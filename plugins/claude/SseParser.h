// Server-sent events (text/event-stream): network bytes in, whole events out.
//
// Follows the WHATWG event-stream grammar: lines end in "\r\n", "\n" or "\r" (a "\r\n" split
// across two reads is still one line end), "field: value" with one optional space after the
// colon, lines starting with ":" are comments, multi-line data is joined with "\n", and a blank
// line dispatches the event. Only complete lines are interpreted, so a read that ends inside a
// line, an event or a UTF-8 sequence simply waits for the rest.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace agenthost::claude {

struct SseEvent {
    std::string type = "message";  // the `event:` field; "message" when the event has none
    std::string data;              // the `data:` lines joined with "\n"

    bool operator==(const SseEvent&) const = default;
};

class SseParser {
  public:
    using EventSink = std::function<void(const SseEvent&)>;

    // A line longer than this is not an event stream; feed() throws std::length_error.
    static constexpr std::size_t kMaxLineBytes = 8 * 1024 * 1024;

    // Consumes the next bytes, however the network split them, calling `onEvent` for each event
    // completed by them.
    void feed(std::string_view bytes, const EventSink& onEvent);

  private:
    void processLine(std::string_view line, const EventSink& onEvent);
    void dispatch(const EventSink& onEvent);

    std::string partialLine_;
    bool lastWasCarriageReturn_ = false;  // a following "\n" belongs to the same line end
    SseEvent event_;
    bool hasData_ = false;
};

}  // namespace agenthost::claude
