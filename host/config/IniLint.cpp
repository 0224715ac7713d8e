#include "config/IniLint.h"

#include <Poco/String.h>

#include <map>
#include <optional>
#include <sstream>

#include "util/Utf8.h"

namespace agenthost::config {
namespace {

// Enough to show what is wrong without flooding a log or /api/status with a binary file.
constexpr std::size_t kMostProblems = 10;

bool isComment(const std::string& line) {
    return line[0] == ';' || line[0] == '#';
}

// A control byte other than a tab: the file is not text (an editor's ini has none).
bool hasControlByte(const std::string& line) {
    for (const unsigned char c : line)
        if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
    return false;
}

// "[name]", optionally followed by a comment; returns the name, or nothing if malformed.
std::optional<std::string> sectionHeader(const std::string& line) {
    const std::size_t end = line.find(']');
    if (end == std::string::npos) return std::nullopt;
    const std::string name = Poco::trim(line.substr(1, end - 1));
    const std::string rest = Poco::trim(line.substr(end + 1));
    if (name.empty() || name.find('[') != std::string::npos) return std::nullopt;
    if (!rest.empty() && !isComment(rest)) return std::nullopt;
    return name;
}

class Linter {
  public:
    void line(std::size_t number, std::string text) {
        if (!text.empty() && text.back() == '\r') text.pop_back();  // CRLF files
        if (hasControlByte(text) || !util::isValidUtf8(text)) {
            add(number, "", "", "not text (control bytes or invalid UTF-8): not an ini file");
            binary_ = true;
            return;
        }
        text = Poco::trim(text);
        if (text.empty() || isComment(text)) return;
        if (text[0] == '[') return header(number, text);
        const std::size_t equals = text.find('=');
        const std::string key = Poco::trim(text.substr(0, equals));
        if (equals == std::string::npos || key.empty()) {
            // The line itself is not quoted: it may be a secret pasted without its key.
            add(number, section_, "",
                "neither [section], key = value, a ; comment nor blank: not an ini line");
            return;
        }
        ++entries_;
        const auto [first, added] = keys_.emplace(Poco::toLower(key), number);
        if (!added)
            add(number, section_, key,
                "duplicate key, first set at line " + std::to_string(first->second) +
                    " (a later value would silently replace it)");
    }

    bool binary() const { return binary_; }

    std::vector<Problem> finish() {
        if (problems_.empty() && entries_ == 0)
            problems_.push_back({"", "", "the file is empty: no section and no key", 0});
        if (skipped_ > 0)
            problems_.push_back(
                {"", "", "and " + std::to_string(skipped_) + " more problem(s) like these", 0});
        return std::move(problems_);
    }

  private:
    void header(std::size_t number, const std::string& text) {
        const auto name = sectionHeader(text);
        if (!name) {
            add(number, "", "", "malformed section header: expected [name], then only a comment");
            return;
        }
        ++entries_;
        section_ = *name;
        keys_.clear();
        const auto [first, added] = sections_.emplace(Poco::toLower(*name), number);
        if (!added)
            add(number, *name, "",
                "duplicate section, first at line " + std::to_string(first->second) +
                    " (its keys would silently merge into the first)");
    }

    void add(std::size_t number, const std::string& section, const std::string& key,
             std::string message) {
        if (problems_.size() < kMostProblems)
            problems_.push_back({section, key, std::move(message), number});
        else
            ++skipped_;
    }

    std::string section_;
    std::map<std::string, std::size_t> sections_;  // lower-cased name -> first line
    std::map<std::string, std::size_t> keys_;      // of the current section
    std::size_t entries_ = 0;                      // headers and key lines
    std::vector<Problem> problems_;
    std::size_t skipped_ = 0;
    bool binary_ = false;
};

}  // namespace

std::vector<Problem> lintIni(const std::string& text) {
    Linter linter;
    std::istringstream lines(text);
    std::size_t number = 0;
    for (std::string line; std::getline(lines, line) && !linter.binary();)
        linter.line(++number, line);
    return linter.finish();
}

}  // namespace agenthost::config
