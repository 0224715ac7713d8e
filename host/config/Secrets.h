// env:VAR and file:PATH indirection for config values, so secrets stay out of the ini file.
#pragma once

#include <optional>
#include <string>

namespace agenthost::config {

struct Resolved {
    std::optional<std::string> value;  // empty optional: could not be resolved
    std::string error;                 // why, naming the variable or file, never the value
};

// Resolves `env:VAR` (the variable must exist and be non-empty) and `file:PATH` (relative to
// baseDir; trailing newlines trimmed; at most 64 KiB). Anything else is returned as it is.
Resolved resolveValue(const std::string& raw, const std::string& baseDir);

}  // namespace agenthost::config
