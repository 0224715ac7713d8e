#include "ArgSplitter.h"

#include <stdexcept>

namespace codex_bridgehub {
namespace {

bool isBlank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Characters a backslash escapes inside double quotes (POSIX "Double-Quotes").
bool escapableInDoubleQuotes(char c) {
    return c == '"' || c == '\\' || c == '$' || c == '`' || c == '\n';
}

class Splitter {
  public:
    explicit Splitter(std::string_view text) : text_(text) {}

    std::vector<std::string> run() {
        while (pos_ < text_.size()) {
            const char c = text_[pos_++];
            if (isBlank(c)) {
                endWord();
            } else if (c == '\'') {
                singleQuoted();
            } else if (c == '"') {
                doubleQuoted();
            } else if (c == '\\') {
                escaped();
            } else {
                word().push_back(c);
            }
        }
        endWord();
        return std::move(words_);
    }

  private:
    // The word being built; starting one makes even an empty quoted word count.
    std::string& word() {
        inWord_ = true;
        return current_;
    }

    void endWord() {
        if (inWord_) words_.push_back(std::move(current_));
        current_.clear();
        inWord_ = false;
    }

    void singleQuoted() {
        const auto end = text_.find('\'', pos_);
        if (end == std::string_view::npos) throw std::invalid_argument("unterminated ' quote");
        word().append(text_.substr(pos_, end - pos_));
        pos_ = end + 1;
    }

    void doubleQuoted() {
        std::string& out = word();
        while (pos_ < text_.size()) {
            const char c = text_[pos_++];
            if (c == '"') return;
            if (c == '\\' && pos_ < text_.size() && escapableInDoubleQuotes(text_[pos_])) {
                const char next = text_[pos_++];
                if (next != '\n') out.push_back(next);  // backslash-newline joins lines
            } else {
                out.push_back(c);
            }
        }
        throw std::invalid_argument("unterminated \" quote");
    }

    void escaped() {
        if (pos_ >= text_.size()) throw std::invalid_argument("trailing backslash");
        const char next = text_[pos_++];
        if (next != '\n') word().push_back(next);  // backslash-newline joins lines
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    std::string current_;
    bool inWord_ = false;
    std::vector<std::string> words_;
};

}  // namespace

std::vector<std::string> splitArgs(std::string_view text) {
    return Splitter(text).run();
}

}  // namespace codex_bridgehub
