#include "store/OpenStore.h"

#include <filesystem>

#include "store/SqliteStore.h"

namespace agenthost::store {

std::unique_ptr<ConversationStore> openStore(const std::string& spec, const std::string& stateDir,
                                             std::string* error) {
    if (error) error->clear();
    if (spec == "none") return nullptr;
    std::string path;
    if (spec == "sqlite") {
        std::error_code failure;
        std::filesystem::create_directories(stateDir, failure);
        if (failure) {
            if (error)
                *error = "cannot create the state folder " + stateDir + ": " + failure.message();
            return nullptr;
        }
        path = (std::filesystem::path(stateDir) / "conversations.db").string();
    } else if (spec.rfind("sqlite:", 0) == 0 && spec.size() > 7) {
        path = spec.substr(7);
    } else {
        if (error)
            *error = "[conversations] store = " + spec +
                     " is not a store this agenthost knows (sqlite, sqlite:PATH or none)";
        return nullptr;
    }
    return SqliteStore::open(path, error);
}

}  // namespace agenthost::store
