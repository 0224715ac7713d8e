// Lenient reads of fields in Codex's JSON: a field that is missing or of another type reads as
// absent, because newer Codex versions change their events freely.
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>

namespace codex_bridgehub::json {

using Poco::JSON::Object;

// The string at `key`, or "" when it is missing or not a string.
std::string stringField(const Object::Ptr& object, const std::string& key);

// The integer at `key`, or nullopt when it is missing, null or not a number.
std::optional<std::int64_t> intField(const Object::Ptr& object, const std::string& key);

// The boolean at `key`; false when it is missing or not a boolean.
bool boolField(const Object::Ptr& object, const std::string& key);

// A value as compact JSON text.
std::string toJson(const Poco::Dynamic::Var& value);

}  // namespace codex_bridgehub::json
