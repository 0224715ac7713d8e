#include "CodexStream.h"

#include "OutputDecoder.h"

namespace codex_bridgehub {

void CodexStream::onStdout(std::string_view bytes) {
    lines_.feed(bytes, [this](std::string_view line) { onLine(line); });
}

void CodexStream::onLine(std::string_view line) {
    // Repair first: Codex prints UTF-8, but a broken byte must not cost the whole event.
    const CodexEvent event = parseCodexEvent(repairUtf8(line));
    switch (event.kind) {
        case CodexEvent::Kind::ThreadStarted:
            response_.sessionState(event.text);  // the next message resumes this thread
            break;
        case CodexEvent::Kind::Text:
            show(event.text);
            break;
        case CodexEvent::Kind::Thinking:
            think(event.text);
            break;
        case CodexEvent::Kind::Event:
            report(event.event);
            break;
        case CodexEvent::Kind::TurnCompleted:
            response_.usage(event.inputTokens, event.outputTokens);
            failure_.clear();  // a transient error event earlier did not end the turn
            break;
        case CodexEvent::Kind::Failed:
            failure_ = event.text;
            break;
        case CodexEvent::Kind::Ignored:
            break;
    }
}

// Pieces of text are shown as paragraphs of one answer.
void CodexStream::show(const std::string& text) {
    if (shownAnything_) note(response_.text("\n\n"));
    note(response_.text(text));
    shownAnything_ = true;
}

// Reasoning summaries likewise, as paragraphs of one thinking text (the separator travels with
// the next piece: each event is a stored frame).
void CodexStream::think(const std::string& text) {
    note(response_.thinking(thoughtAnything_ ? "\n\n" + text : text));
    thoughtAnything_ = true;
}

// The event goes to protocol 2 clients (and the stored conversation). Where no protocol 2
// client sees it (a protocol 1 conversation, or a host that takes no events), what protocol 1
// clients were always shown of it stays in the answer text.
void CodexStream::report(const AgentEvent& event) {
    const agenthost::Emit emitted = note(response_.event(event.kind, event.content, event.data));
    const bool seen = eventsReachAClient_ && emitted == agenthost::Emit::Ok;
    if (!seen && !event.protocol1Text.empty()) show(event.protocol1Text);
}

void CodexStream::onExit(const RunResult& result) {
    const std::string rest = lines_.takeRest();
    if (!rest.empty()) onLine(rest);
    if (!failure_.empty()) {
        response_.fail("upstream_error", "Codex: " + failure_);
    } else if (!result.status.success()) {
        response_.fail("upstream_error", exitFailure(command_, result));
    }
}

}  // namespace codex_bridgehub
