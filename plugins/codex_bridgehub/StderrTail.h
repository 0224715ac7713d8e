// Keeps the end of a child's stderr, for error messages.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace codex_bridgehub {

class StderrTail {
  public:
    explicit StderrTail(std::size_t maxLines = 10, std::size_t maxBytes = 4096)
        : maxLines_(maxLines), maxBytes_(maxBytes) {}

    void append(std::string_view bytes);
    // The last lines as valid UTF-8, without a trailing newline; empty when nothing came.
    std::string lines() const;

  private:
    std::size_t maxLines_;
    std::size_t maxBytes_;
    std::string buffer_;
};

}  // namespace codex_bridgehub
