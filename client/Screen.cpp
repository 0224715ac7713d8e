#include "Screen.h"

namespace agenthost::client {
namespace {

constexpr const char* kDim = "\x1b[2m";
constexpr const char* kNormal = "\x1b[22m";

}  // namespace

Screen::Screen(bool interactive, bool colours, bool prompts)
    : interactive_(interactive),
      colours_(interactive && colours),
      prompts_(interactive && prompts) {}

void Screen::write(Stream& stream, const std::string& text) {
    if (text.empty()) return;
    std::fwrite(text.data(), 1, text.size(), stream.file);
    std::fflush(stream.file);  // streamed: every piece is shown as it arrives
    stream.atLineStart = text.back() == '\n';
    waitingForLine_ = false;
}

void Screen::startLine(Stream& stream) {
    if (!stream.atLineStart) write(stream, "\n");
}

std::string Screen::dim(const std::string& text) const {
    return colours_ ? kDim + text + kNormal : text;
}

void Screen::closeOpenStream(const Stream& next) {
    // Without a terminal the answer's text on stdout is not broken by a line on stderr.
    if (open_ == Open::Nothing || (open_ == Open::Text && &next != &out_)) return;
    startLine(open_ == Open::Text ? out_ : notes());
    open_ = Open::Nothing;
}

void Screen::lineEntered() {
    out_.atLineStart = true;
    waitingForLine_ = false;
}

void Screen::lineAbandoned() {
    out_.atLineStart = false;
    waitingForLine_ = false;
}

void Screen::close() {
    closeOpenStream(out_);
    if (interactive_) startLine(out_);
}

void Screen::prompt() {
    if (!prompts_) return;
    closeOpenStream(out_);
    startLine(out_);
    write(out_, "> ");
    waitingForLine_ = true;
}

void Screen::question(const std::string& text) {
    closeOpenStream(notes());
    startLine(notes());
    write(notes(), interactive_ ? text + " [y/n] " : "approval: " + text + " [y/n]\n");
    waitingForLine_ = true;
}

void Screen::answerText(const std::string& chunk) {
    if (open_ != Open::Text) {
        closeOpenStream(out_);
        if (interactive_) startLine(out_);
        open_ = Open::Text;
    }
    write(out_, chunk);
}

void Screen::thinking(const std::string& chunk) {
    if (open_ != Open::Thinking) {
        closeOpenStream(notes());
        startLine(notes());
        write(notes(), interactive_ ? dim("thinking: ") : "[thinking] ");
        open_ = Open::Thinking;
    }
    write(notes(), dim(chunk));
}

void Screen::event(const std::string& kind, const std::string& line) {
    dimLine(interactive_ ? kind + ": " + line : "[" + kind + "] " + line);
}

void Screen::userMessage(const std::string& text) {
    closeOpenStream(out_);
    startLine(out_);
    write(out_, "> " + text + "\n");
}

void Screen::endAnswer() {
    closeOpenStream(out_);
    closeOpenStream(notes());
}

void Screen::note(const std::string& text) {
    dimLine(interactive_ ? text : "agenthost chat: " + text);
}

void Screen::error(const std::string& text) {
    closeOpenStream(notes());
    startLine(notes());
    write(notes(), "error: " + text + "\n");
}

void Screen::listing(const std::string& line) {
    closeOpenStream(out_);
    startLine(out_);
    write(out_, line + "\n");
}

void Screen::dimLine(const std::string& text) {
    closeOpenStream(notes());
    startLine(notes());
    write(notes(), dim(text) + "\n");
}

}  // namespace agenthost::client
