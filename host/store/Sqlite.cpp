#include "store/Sqlite.h"

namespace agenthost::store {

SqliteDb::~SqliteDb() {
    if (db_) sqlite3_close_v2(db_);
}

bool SqliteDb::open(const std::string& path, int flags, std::string* error) {
    const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc == SQLITE_OK) return true;
    if (error) *error = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    return false;
}

bool SqliteDb::exec(const std::string& sql, std::string* error) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    if (rc == SQLITE_OK) return true;
    if (error) *error = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return false;
}

std::int64_t SqliteDb::queryInt(const std::string& sql) {
    SqliteStatement statement;
    if (!statement.prepare(*this, sql, nullptr)) return -1;
    return statement.step() == SQLITE_ROW ? statement.integer(0) : -1;
}

std::string SqliteDb::queryText(const std::string& sql) {
    SqliteStatement statement;
    if (!statement.prepare(*this, sql, nullptr)) return "";
    return statement.step() == SQLITE_ROW ? std::string(statement.text(0)) : "";
}

std::string SqliteDb::message() const {
    return db_ ? sqlite3_errmsg(db_) : "not open";
}

SqliteStatement::~SqliteStatement() {
    if (stmt_) sqlite3_finalize(stmt_);
}

bool SqliteStatement::prepare(SqliteDb& db, const std::string& sql, std::string* error) {
    const int rc = sqlite3_prepare_v3(db.handle(), sql.c_str(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc == SQLITE_OK) return true;
    if (error) *error = db.message() + " in: " + sql;
    return false;
}

std::string_view SqliteStatement::text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_blob(stmt_, column));
    const int size = sqlite3_column_bytes(stmt_, column);
    return data ? std::string_view(data, static_cast<std::size_t>(size)) : std::string_view();
}

}  // namespace agenthost::store
