// Thin RAII wrappers over the SQLite C API: a connection, prepared statements
// and transactions. Every return code is checked and turned into a Status
// whose message carries SQLite's own explanation.
//
// Values reach SQL only through bind(): no code in tessel splices user text
// into SQL.
#ifndef TESSEL_DB_SQLITE_H
#define TESSEL_DB_SQLITE_H

#include "db/Status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

struct sqlite3;
struct sqlite3_stmt;

namespace tessel::sql {

/// An open SQLite connection; closes on destruction.
class Connection {
public:
  Connection() = default;
  ~Connection();
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;
  Connection(Connection &&o) noexcept : db_(o.db_) { o.db_ = nullptr; }

  /// Opens `path` with SQLite open `flags`; sets a busy timeout so that
  /// concurrent writers wait for each other instead of failing.
  Status open(const std::string &path, int flags, int busyTimeoutMs);
  /// Runs one or more statements that bind no values.
  Status exec(std::string_view sql);
  /// The first column of the first row of `sql` as an integer.
  Result<int64_t> queryInt(std::string_view sql);
  /// SQLite's message for the last error on this connection.
  std::string errorMessage() const;
  int64_t lastInsertRowid() const;
  int changes() const;
  sqlite3 *handle() const { return db_; }

private:
  sqlite3 *db_ = nullptr;
};

/// A prepared statement. Bind indices start at 1, column indices at 0.
class Statement {
public:
  Statement(Connection &conn, std::string_view sql);
  ~Statement();
  Statement(const Statement &) = delete;
  Statement &operator=(const Statement &) = delete;

  /// Ok unless preparing failed (then every other call is a no-op and step()
  /// fails with the prepare error).
  const Status &prepareStatus() const { return prepared_; }

  Statement &bind(int index, int64_t v);
  Statement &bind(int index, int v) { return bind(index, int64_t(v)); }
  Statement &bind(int index, double v);
  Statement &bind(int index, std::string_view v);
  Statement &bind(int index, const std::string &v) {
    return bind(index, std::string_view(v));
  }
  Statement &bind(int index, const char *v) {
    return bind(index, std::string_view(v));
  }
  /// The optional overloads bind NULL when empty.
  Statement &bind(int index, const std::optional<double> &v);
  Statement &bind(int index, const std::optional<std::string> &v);
  Statement &bind(int index, const std::optional<int64_t> &v);
  Statement &bindNull(int index);

  /// Advances: true when a row is available, false when done.
  Result<bool> step();
  /// Runs to completion (for statements that return no rows).
  Status run();
  /// Resets so the statement can run again with new bindings.
  void reset();

  int64_t columnInt(int i) const;
  double columnDouble(int i) const;
  std::string columnText(int i) const;
  std::optional<double> columnOptDouble(int i) const;
  bool columnIsNull(int i) const;

private:
  Connection &conn_;
  sqlite3_stmt *stmt_ = nullptr;
  Status prepared_;
  Status bindError_;
};

/// Steps `st` through every row, calling `fn(st)` on each; `fn` returns
/// void, or a Status whose failure stops the walk and is returned.
template <typename Fn> Status forEachRow(Statement &st, Fn fn) {
  while (true) {
    auto row = st.step();
    if (!row)
      return makeError(row.message());
    if (!*row)
      return Status();
    if constexpr (std::is_same_v<decltype(fn(st)), void>) {
      fn(st);
    } else if (Status s = fn(st); !s) {
      return s;
    }
  }
}

/// A write transaction (BEGIN IMMEDIATE): rolls back on destruction unless
/// commit() succeeded. IMMEDIATE takes the write lock up front, so two writers
/// never deadlock upgrading from a read lock.
class Transaction {
public:
  explicit Transaction(Connection &conn) : conn_(conn) {}
  ~Transaction();
  Status begin();
  Status commit();

private:
  Connection &conn_;
  bool open_ = false;
};

} // namespace tessel::sql

#endif // TESSEL_DB_SQLITE_H
