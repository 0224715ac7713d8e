#include "JsonFields.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace codex_bridgehub::json {

std::string stringField(const Object::Ptr& object, const std::string& key) {
    if (!object || !object->has(key)) return "";
    const Poco::Dynamic::Var value = object->get(key);
    return value.isString() ? value.extract<std::string>() : "";
}

std::optional<std::int64_t> intField(const Object::Ptr& object, const std::string& key) {
    if (!object || !object->has(key)) return std::nullopt;
    const Poco::Dynamic::Var value = object->get(key);
    if (value.isEmpty() || !value.isNumeric()) return std::nullopt;
    try {
        return value.convert<Poco::Int64>();
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
}

bool boolField(const Object::Ptr& object, const std::string& key) {
    if (!object || !object->has(key)) return false;
    const Poco::Dynamic::Var value = object->get(key);
    return value.isBoolean() && value.extract<bool>();
}

std::string toJson(const Poco::Dynamic::Var& value) {
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(value, out);
    return out.str();
}

}  // namespace codex_bridgehub::json
