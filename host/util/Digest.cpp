#include "util/Digest.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

namespace agenthost::util {

std::string sha256Hex(const std::string& text) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(text);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

}  // namespace agenthost::util
