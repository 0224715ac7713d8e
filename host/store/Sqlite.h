// A thin RAII layer over the sqlite3 C API: a connection and its prepared statements, with the
// few bind/column helpers the store needs. Errors come back as values, never as exceptions, so
// the writer thread can keep running whatever the disk does.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace agenthost::store {

class SqliteStatement;

class SqliteDb {
  public:
    SqliteDb() = default;
    ~SqliteDb();
    SqliteDb(const SqliteDb&) = delete;
    SqliteDb& operator=(const SqliteDb&) = delete;

    // Opens `path` with `flags` (SQLITE_OPEN_*); on failure returns false and sets *error.
    bool open(const std::string& path, int flags, std::string* error);
    // Runs one or more statements without results; on failure sets *error.
    bool exec(const std::string& sql, std::string* error);
    // The first column of the first row of `sql` as an integer (a PRAGMA's value), or -1.
    std::int64_t queryInt(const std::string& sql);
    std::string queryText(const std::string& sql);

    sqlite3* handle() const { return db_; }
    std::string message() const;  // the last error's text

  private:
    sqlite3* db_ = nullptr;
};

class SqliteStatement {
  public:
    SqliteStatement() = default;
    ~SqliteStatement();
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;

    // Prepares `sql` once, for reuse (SQLITE_PREPARE_PERSISTENT).
    bool prepare(SqliteDb& db, const std::string& sql, std::string* error);

    void bind(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
    // The text must outlive the next step(): it is bound without a copy.
    void bind(int index, std::string_view text) {
        sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
    }
    void bindBlob(int index, std::string_view bytes) {
        sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                          SQLITE_STATIC);
    }
    void bindNull(int index) { sqlite3_bind_null(stmt_, index); }
    void bind(int index, int value) { bind(index, std::int64_t{value}); }
    void bind(int index, const std::string& text) { bind(index, std::string_view(text)); }
    void bind(int index, const char* text) { bind(index, std::string_view(text)); }

    // Binds ?1, ?2, ... in order.
    template <class... Values>
    void bindAll(const Values&... values) {
        int index = 0;
        (bind(++index, values), ...);
    }

    // SQLITE_ROW, SQLITE_DONE or an error code.
    int step() { return sqlite3_step(stmt_); }
    // Ready for the next use; also ends the statement's read transaction. Every use binds
    // every parameter, so the old bindings are not cleared.
    void reset() { sqlite3_reset(stmt_); }

    std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
    bool isNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
    std::string_view text(int column) const;

  private:
    sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when leaving a scope, so that no read transaction stays open.
class StatementUse {
  public:
    explicit StatementUse(SqliteStatement& statement) : statement_(statement) {}
    ~StatementUse() { statement_.reset(); }
    StatementUse(const StatementUse&) = delete;
    StatementUse& operator=(const StatementUse&) = delete;

  private:
    SqliteStatement& statement_;
};

}  // namespace agenthost::store
