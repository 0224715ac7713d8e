// Where the chat's output goes and how it looks. On a terminal: one stream, a prompt, events
// and notes as dim lines. Otherwise plain: no colours and no prompt, the answers (and the
// user messages of a replay, and /list) on stdout, events, notes and errors on stderr, so a
// script can take stdout as the answer.
#pragma once

#include <cstdio>
#include <string>

namespace agenthost::client {

class Screen {
  public:
    // `interactive`: stdout is a terminal. `colours`: and the terminal wants escape sequences.
    // `prompts`: and so is stdin: a person types the lines, at a prompt.
    Screen(bool interactive, bool colours, bool prompts);

    bool interactive() const { return interactive_; }
    bool prompts() const { return prompts_; }
    // True while the last thing written is the prompt (or a question) waiting for a line.
    bool waitingForLine() const { return waitingForLine_; }
    // The user ended a line (the terminal echoed its newline).
    void lineEntered();
    // Ctrl-C at the prompt: the terminal dropped the line and shows ^C where it was.
    void lineAbandoned();
    // Leaves the cursor at the start of a line, for the shell's prompt.
    void close();

    void prompt();
    void question(const std::string& text);  // an approval request: "... [y/n] "
    void answerText(const std::string& chunk);
    void thinking(const std::string& chunk);  // reasoning, streamed like text, dim
    void event(const std::string& kind, const std::string& line);
    void userMessage(const std::string& text);  // a message not typed here (replay, elsewhere)
    void endAnswer();                           // the answer's last line ends
    void note(const std::string& text);         // the client's own news (reconnecting, ...)
    void error(const std::string& text);
    void listing(const std::string& line);  // plain output lines (/list, /help)

  private:
    struct Stream {
        std::FILE* file;
        bool atLineStart = true;
    };
    enum class Open { Nothing, Text, Thinking };

    void write(Stream& stream, const std::string& text);
    void startLine(Stream& stream);  // ends an unfinished line first
    // Ends a streamed text or thinking line before something is written to `next`.
    void closeOpenStream(const Stream& next);
    void dimLine(const std::string& text);
    Stream& notes() { return interactive_ ? out_ : err_; }
    std::string dim(const std::string& text) const;

    bool interactive_;
    bool colours_;
    bool prompts_;
    bool waitingForLine_ = false;
    Stream out_{stdout};
    Stream err_{stderr};
    Open open_ = Open::Nothing;
};

}  // namespace agenthost::client
