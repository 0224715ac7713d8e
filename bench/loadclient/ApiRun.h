// The `api` mode of the load client: latency of the conversations HTTP API as a client that
// shows a conversation list uses it (page by page with the cursor, then each conversation).
#pragma once

#include "Options.h"

namespace agenthost::bench {

// options.passes walks over GET /api/conversations?limit=options.limit (following "next"),
// each followed by GET /api/conversations/<id> of every conversation listed, on one
// keep-alive connection. Prints the key=value line; 0 when every request answered 200.
int runApi(const Options& options);

}  // namespace agenthost::bench
