#pragma once

#include <Poco/Logger.h>

#include <exception>
#include <string>

namespace agenthost::util {

// Runs `f`; an exception is logged as "<what> failed: ..." instead of escaping. For code that
// runs on a thread (or is called from a plugin) where nothing may unwind further.
template <class F>
void logExceptions(const char* what, F&& f) noexcept {
    try {
        f();
    } catch (const std::exception& e) {
        Poco::Logger::get("agenthost").error(std::string(what) + " failed: " + e.what());
    } catch (...) {
        Poco::Logger::get("agenthost").error(std::string(what) + " failed");
    }
}

}  // namespace agenthost::util
