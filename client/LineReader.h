// Lines from a file descriptor (standard input), read only when poll(2) says it is readable,
// so the chat loop never blocks on the keyboard while frames arrive. A terminal in canonical
// mode hands over one edited line per read; a pipe may hand over many at once.
#pragma once

#include <optional>
#include <string>

namespace agenthost::client {

class LineReader {
  public:
    explicit LineReader(int descriptor) : descriptor_(descriptor) {}

    int descriptor() const { return descriptor_; }
    // The next whole line already read, without its newline.
    std::optional<std::string> next();
    // Reads what is there (call when readable). At end of input an unterminated last line
    // becomes a whole line, and ended() turns true.
    void fill();
    // True once the input has ended and every line has been taken.
    bool ended() const { return ended_ && buffer_.empty(); }

  private:
    int descriptor_;
    std::string buffer_;
    bool ended_ = false;
};

}  // namespace agenthost::client
