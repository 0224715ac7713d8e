// The conversation store's SQLite schema: an ordered list of migrations, each taking the
// database from version N-1 to N (PRAGMA user_version), applied on open in one transaction each.
#pragma once

#include <string>
#include <vector>

namespace agenthost::store {

class SqliteDb;

struct Migration {
    int version;      // the user_version after this step
    const char* sql;  // the statements that get there from version - 1
};

// Every migration in order; the last one's version is the current schema.
const std::vector<Migration>& schemaMigrations();
int currentSchemaVersion();

// Brings the database up to the current version. A database newer than this build is refused.
bool migrateSchema(SqliteDb& db, const std::string& path, std::string* error);

}  // namespace agenthost::store
