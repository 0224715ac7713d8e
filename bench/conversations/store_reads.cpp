// agenthost_store_reads: the store's share of the conversations HTTP API's latency, timed on a
// database file that bench/conversations/run.sh filled: the reads GET /api/conversations
// (list, page by page with the cursor) and GET /api/conversations/<id> (find + turns) make,
// without HTTP and JSON around them. Prints one key=value line like the load client.
//
// Usage: agenthost_store_reads DB_PATH KEY_NAME [PASSES=3] [LIMIT=50]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "store/SqliteStore.h"

namespace {

using Clock = std::chrono::steady_clock;

double millisSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double percentile(std::vector<double> values, double fraction) {
    if (values.empty()) return 0;
    const auto rank = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
    std::nth_element(values.begin(), values.begin() + static_cast<long>(rank), values.end());
    return values[rank];
}

std::string summary(const std::string& name, const std::vector<double>& millis) {
    char text[200];
    std::snprintf(text, sizeof text,
                  " %s_requests=%zu %s_p50_ms=%.2f %s_p99_ms=%.2f %s_max_ms=%.2f", name.c_str(),
                  millis.size(), name.c_str(), percentile(millis, 0.5), name.c_str(),
                  percentile(millis, 0.99), name.c_str(), percentile(millis, 1.0));
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace agenthost::store;
    if (argc < 3) {
        std::cerr << "usage: agenthost_store_reads DB_PATH KEY_NAME [PASSES=3] [LIMIT=50]\n";
        return 2;
    }
    const int passes = argc > 3 ? std::stoi(argv[3]) : 3;
    const std::size_t limit = argc > 4 ? std::stoul(argv[4]) : 50;
    std::string error;
    auto store = SqliteStore::open(argv[1], &error);
    if (!store) {
        std::cerr << "agenthost_store_reads: " << error << "\n";
        return 1;
    }
    std::vector<double> listMs, getMs;
    std::size_t listed = 0, turnsOfFirst = 0;
    for (int pass = 0; pass < passes; ++pass) {
        std::vector<std::string> ids;
        ListQuery query;
        query.keyName = argv[2];
        query.limit = limit;
        do {
            const auto start = Clock::now();
            const ListPage page = store->list(query);
            listMs.push_back(millisSince(start));
            for (const auto& info : page.conversations) ids.push_back(info.id);
            query.cursor = page.next;
        } while (!query.cursor.empty());
        listed = ids.size();
        for (const auto& id : ids) {
            const auto start = Clock::now();
            const auto info = store->find(id);
            const auto turns = store->turns(id);
            getMs.push_back(millisSince(start));
            if (!info) {
                std::cerr << "agenthost_store_reads: listed " << id << " is not found\n";
                return 1;
            }
            turnsOfFirst = std::max(turnsOfFirst, turns.size());
        }
    }
    std::cout << "mode=store_reads passes=" << passes << " limit=" << limit << " listed=" << listed
              << " most_turns=" << turnsOfFirst << summary("list", listMs) << summary("get", getMs)
              << std::endl;
    return 0;
}
