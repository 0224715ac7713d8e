#include "store/SqliteSchema.h"

#include "store/Sqlite.h"

namespace agenthost::store {

namespace {

// Version 1: one row per frame.
constexpr const char* kVersion1 = R"sql(
CREATE TABLE conversations (
    id TEXT PRIMARY KEY NOT NULL,
    route TEXT NOT NULL,
    key_name TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    turns INTEGER NOT NULL DEFAULT 0,
    last_seq INTEGER NOT NULL DEFAULT 0,
    plugin_state BLOB
);
CREATE INDEX conversations_by_key ON conversations (key_name, updated_at, id);
CREATE TABLE turns (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    turn INTEGER NOT NULL,
    user TEXT NOT NULL,
    assistant TEXT NOT NULL,
    status TEXT NOT NULL,
    stop_reason TEXT NOT NULL,
    input_tokens INTEGER,
    output_tokens INTEGER,
    error_code TEXT NOT NULL,
    error_message TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, turn)
);
CREATE TABLE frames (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    turn INTEGER NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
)sql";

// Version 2: frames are stored in segments, one row per run of consecutive frames that one
// commit wrote (a row per frame cost more CPU than the rest of a round trip), found by their
// last seq; and running turns are indexed for the restart scan.
// `turns` holds each line's turn run-length encoded: "3*2,4*1" is two frames of turn 3, then one
// of turn 4. `frames` holds the frames' JSON joined by '\n' (JSON text has no raw newline).
constexpr const char* kVersion2 = R"sql(
CREATE TABLE frame_segments (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    turns TEXT NOT NULL,
    frames TEXT NOT NULL,
    PRIMARY KEY (conversation_id, first_seq)
);
CREATE INDEX frame_segments_by_last ON frame_segments (conversation_id, last_seq);
INSERT INTO frame_segments (conversation_id, first_seq, last_seq, turns, frames)
    SELECT conversation_id, seq, seq, turn || '*1', json FROM frames;
DROP TABLE frames;
CREATE INDEX turns_running ON turns (conversation_id) WHERE status = 'running';
)sql";

}  // namespace

const std::vector<Migration>& schemaMigrations() {
    static const std::vector<Migration> migrations = {{1, kVersion1}, {2, kVersion2}};
    return migrations;
}

int currentSchemaVersion() {
    return schemaMigrations().back().version;
}

bool migrateSchema(SqliteDb& db, const std::string& path, std::string* error) {
    const std::int64_t version = db.queryInt("PRAGMA user_version");
    if (version < 0) {
        *error = "cannot read the schema version of " + path + ": " + db.message();
        return false;
    }
    if (version > currentSchemaVersion()) {
        *error = path + " has schema version " + std::to_string(version) +
                 ", newer than this agenthost's " + std::to_string(currentSchemaVersion());
        return false;
    }
    for (const Migration& migration : schemaMigrations()) {
        if (migration.version <= version) continue;
        std::string failure;
        const std::string sql = std::string("BEGIN IMMEDIATE;") + migration.sql +
                                "PRAGMA user_version = " + std::to_string(migration.version) +
                                ";COMMIT;";
        if (!db.exec(sql, &failure)) {
            db.exec("ROLLBACK", nullptr);
            *error = "cannot migrate " + path + " to schema version " +
                     std::to_string(migration.version) + ": " + failure;
            return false;
        }
    }
    return true;
}

}  // namespace agenthost::store
