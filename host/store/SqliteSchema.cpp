#include "store/SqliteSchema.h"

#include "store/Sqlite.h"

namespace agenthost::store {

namespace {

// Version 1: one row per frame and per turn.
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
) WITHOUT ROWID;
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
) WITHOUT ROWID;
CREATE TABLE frames (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    turn INTEGER NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
)sql";

// Version 2: a row per frame and per turn cost more CPU than the rest of a round trip, so
// rows hold what one commit wrote for one conversation.
// - frame_segments: a run of consecutive frames; `frames` is their JSON joined by '\n' (JSON
//   text has no raw newline), line i has seq first_seq + i; `turns` holds each line's turn,
//   run-length encoded: "3*2,4*1" is two frames of turn 3, then one of turn 4. Found by last_seq
//   (the only index: each b-tree an insert touches costs).
// - turn_segments: the turns saved by one commit, one JSON object per line (TurnRecordJson.h);
//   a later row holds a later version of a turn.
// - running_turns: the turns whose last save was Running, for the restart scan.
constexpr const char* kVersion2 = R"sql(
CREATE TABLE frame_segments (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    turns TEXT NOT NULL,
    frames TEXT NOT NULL
);
CREATE INDEX frame_segments_by_last ON frame_segments (conversation_id, last_seq);
INSERT INTO frame_segments (conversation_id, first_seq, last_seq, turns, frames)
    SELECT conversation_id, seq, seq, turn || '*1', json FROM frames ORDER BY conversation_id, seq;
DROP TABLE frames;

CREATE TABLE turn_segments (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    first_turn INTEGER NOT NULL,
    last_turn INTEGER NOT NULL,
    records TEXT NOT NULL
);
CREATE INDEX turn_segments_by_last ON turn_segments (conversation_id, last_turn);
CREATE TABLE running_turns (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    turn INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, turn)
) WITHOUT ROWID;
INSERT INTO turn_segments (conversation_id, first_turn, last_turn, records)
    SELECT conversation_id, turn, turn, json_object('turn', turn, 'status', status, 'user', user,
        'assistant', assistant, 'stop_reason', stop_reason, 'input_tokens', input_tokens,
        'output_tokens', output_tokens, 'error_code', error_code, 'error_message', error_message,
        'started_at', started_at, 'finished_at', finished_at)
    FROM turns ORDER BY conversation_id, turn;
INSERT INTO running_turns SELECT conversation_id, turn FROM turns WHERE status = 'running';
DROP TABLE turns;
)sql";

// Version 3: tokens_per_day survives a restart; one row per key name and UTC day.
constexpr const char* kVersion3 = R"sql(
CREATE TABLE key_tokens (
    key_name TEXT NOT NULL,
    day INTEGER NOT NULL,
    tokens INTEGER NOT NULL,
    PRIMARY KEY (day, key_name)
) WITHOUT ROWID;
)sql";

}  // namespace

const std::vector<Migration>& schemaMigrations() {
    static const std::vector<Migration> migrations = {
        {1, kVersion1}, {2, kVersion2}, {3, kVersion3}};
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
