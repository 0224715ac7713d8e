// Direct access to the host's SQLite file from a test, through the sqlite3 C API: hold a lock
// on it, or move a conversation's updated_at into the past. The schema is the store's own
// business, so the ageing finds its columns by name (every table with an `updated_at` column
// and an id column) and keeps the unit it finds there.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

namespace agenthost::test {

class SqliteFile {
  public:
    explicit SqliteFile(const std::string& path) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
            throw std::runtime_error("cannot open " + path + ": " + sqlite3_errmsg(db_));
        sqlite3_busy_timeout(db_, 10000);
    }
    ~SqliteFile() { sqlite3_close(db_); }
    SqliteFile(const SqliteFile&) = delete;
    SqliteFile& operator=(const SqliteFile&) = delete;

    void exec(const std::string& sql) {
        char* error = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
            std::string message = error ? error : "unknown error";
            sqlite3_free(error);
            throw std::runtime_error(sql + ": " + message);
        }
    }

    // The rows of a query as text, one vector per row.
    std::vector<std::vector<std::string>> query(const std::string& sql,
                                                const std::string& parameter = "") {
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK)
            throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
        if (sql.find('?') != std::string::npos)
            sqlite3_bind_text(statement, 1, parameter.c_str(), -1, SQLITE_TRANSIENT);
        std::vector<std::vector<std::string>> rows;
        int rc = 0;
        while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
            std::vector<std::string> row;
            for (int i = 0; i < sqlite3_column_count(statement); ++i) {
                auto text = sqlite3_column_text(statement, i);
                row.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
            }
            rows.push_back(std::move(row));
        }
        sqlite3_finalize(statement);
        if (rc != SQLITE_DONE) throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
        return rows;
    }

    // Sets updated_at of conversation `id` to `daysAgo` days before now in every table that
    // has one for it. Returns how many rows changed (0: the schema was not understood).
    int ageConversation(const std::string& id, int daysAgo) {
        int changed = 0;
        for (const auto& table : query("SELECT name FROM sqlite_master WHERE type = 'table'")) {
            const std::string name = table[0];
            std::vector<std::string> columns;
            for (const auto& column : query("PRAGMA table_info(\"" + name + "\")"))
                columns.push_back(column[1]);
            auto has = [&](const std::string& c) {
                return std::find(columns.begin(), columns.end(), c) != columns.end();
            };
            if (!has("updated_at")) continue;
            for (const std::string idColumn : {"conversation_id", "id"}) {
                if (!has(idColumn)) continue;
                changed += ageRow(name, idColumn, id, daysAgo);
                break;
            }
        }
        return changed;
    }

  private:
    int ageRow(const std::string& table, const std::string& idColumn, const std::string& id,
               int daysAgo) {
        const std::string where = " FROM \"" + table + "\" WHERE \"" + idColumn + "\" = ?";
        auto rows = query("SELECT typeof(updated_at), updated_at" + where, id);
        if (rows.empty()) return 0;
        const auto then = std::chrono::system_clock::now() - std::chrono::hours(24) * daysAgo;
        const std::int64_t seconds =
            std::chrono::duration_cast<std::chrono::seconds>(then.time_since_epoch()).count();
        std::string value;
        if (rows[0][0] == "integer" || rows[0][0] == "real") {
            // Milliseconds or seconds since the epoch: keep whichever the store uses.
            const bool millis = std::stod(rows[0][1]) > 1e11;
            value = std::to_string(millis ? seconds * 1000 : seconds);
        } else {
            std::time_t t = static_cast<std::time_t>(seconds);
            std::tm utc{};
            gmtime_r(&t, &utc);
            char text[32];
            std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S.000Z", &utc);
            value = "'" + std::string(text) + "'";
        }
        exec("UPDATE \"" + table + "\" SET updated_at = " + value + " WHERE \"" + idColumn +
             "\" = '" + id + "'");
        return sqlite3_changes(db_);
    }

    sqlite3* db_ = nullptr;
};

}  // namespace agenthost::test
