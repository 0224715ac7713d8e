// A line-by-line check of the ini text before Poco reads it. Poco's reader accepts anything:
// binary garbage becomes keys without values, a repeated section or key silently replaces the
// earlier one (a second [key.main] swaps the secret), and an empty or truncated file is a
// valid file with nothing in it. Each of those is reported here with its line number.
#pragma once

#include <string>
#include <vector>

#include "config/Config.h"

namespace agenthost::config {

// Every problem of `text` as ini: lines that are neither `[section]`, `key = value`, a `;` or
// `#` comment nor blank; bytes that are not UTF-8 text; sections or keys (within a section)
// that occur twice, case-insensitively as Poco compares them; no section and no key at all.
// Empty when the text is well-formed.
std::vector<Problem> lintIni(const std::string& text);

}  // namespace agenthost::config
