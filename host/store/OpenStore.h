// Makes the conversation store that `[conversations] store` names.
#pragma once

#include <memory>
#include <string>

#include "store/ConversationStore.h"

namespace agenthost::store {

// `sqlite`: <stateDir>/conversations.db (the folder is created); `sqlite:PATH`: that file (the
// caller resolves a relative PATH); `none`: no store, nullptr with *error left empty. Anything
// else, or a store that cannot be opened: nullptr with the reason in *error.
std::unique_ptr<ConversationStore> openStore(const std::string& spec, const std::string& stateDir,
                                             std::string* error);

}  // namespace agenthost::store
