// RAII wrappers over the SQLite C API.
#include "db/Sqlite.h"

#include <chrono>
#include <sqlite3.h>
#include <thread>

namespace tessel::sql {

Connection::~Connection() {
  if (db_)
    sqlite3_close_v2(db_);
}

Status Connection::open(const std::string &path, int flags, int busyTimeoutMs) {
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    if (db_) {
      sqlite3_close_v2(db_);
      db_ = nullptr;
    }
    return makeError(msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busyTimeoutMs);
  return Status();
}

Status Connection::exec(std::string_view sql) {
  char *err = nullptr;
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return makeError(msg);
  }
  return Status();
}

Result<int64_t> Connection::queryInt(std::string_view sql) {
  Statement st(*this, sql);
  auto row = st.step();
  if (!row)
    return makeError(row.message());
  if (!*row)
    return makeError("query returned no row");
  return st.columnInt(0);
}

std::string Connection::errorMessage() const {
  return db_ ? sqlite3_errmsg(db_) : "no connection";
}

int64_t Connection::lastInsertRowid() const {
  return sqlite3_last_insert_rowid(db_);
}

int Connection::changes() const { return sqlite3_changes(db_); }

Statement::Statement(Connection &conn, std::string_view sql) : conn_(conn) {
  int rc = sqlite3_prepare_v2(conn.handle(), sql.data(),
                              static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK)
    prepared_ = makeError(conn.errorMessage());
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

namespace {
Status checkBind(int rc, sqlite3 *db) {
  return rc == SQLITE_OK ? Status() : Status(makeError(sqlite3_errmsg(db)));
}
} // namespace

Statement &Statement::bind(int index, int64_t v) {
  if (stmt_ && bindError_)
    bindError_ = checkBind(sqlite3_bind_int64(stmt_, index, v), conn_.handle());
  return *this;
}

Statement &Statement::bind(int index, double v) {
  if (stmt_ && bindError_)
    bindError_ = checkBind(sqlite3_bind_double(stmt_, index, v), conn_.handle());
  return *this;
}

Statement &Statement::bind(int index, std::string_view v) {
  if (stmt_ && bindError_)
    bindError_ = checkBind(sqlite3_bind_text(stmt_, index, v.data(),
                                             static_cast<int>(v.size()),
                                             SQLITE_TRANSIENT),
                           conn_.handle());
  return *this;
}

Statement &Statement::bind(int index, const std::optional<double> &v) {
  return v ? bind(index, *v) : bindNull(index);
}

Statement &Statement::bind(int index, const std::optional<std::string> &v) {
  return v ? bind(index, std::string_view(*v)) : bindNull(index);
}

Statement &Statement::bind(int index, const std::optional<int64_t> &v) {
  return v ? bind(index, *v) : bindNull(index);
}

Statement &Statement::bindNull(int index) {
  if (stmt_ && bindError_)
    bindError_ = checkBind(sqlite3_bind_null(stmt_, index), conn_.handle());
  return *this;
}

Result<bool> Statement::step() {
  if (!prepared_)
    return makeError(prepared_.message());
  if (!bindError_)
    return makeError(bindError_.message());
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW)
    return true;
  if (rc == SQLITE_DONE)
    return false;
  return makeError(conn_.errorMessage());
}

Status Statement::run() {
  while (true) {
    auto r = step();
    if (!r)
      return makeError(r.message());
    if (!*r)
      return Status();
  }
}

void Statement::reset() {
  if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  bindError_ = Status();
}

int64_t Statement::columnInt(int i) const {
  return sqlite3_column_int64(stmt_, i);
}
double Statement::columnDouble(int i) const {
  return sqlite3_column_double(stmt_, i);
}
std::string Statement::columnText(int i) const {
  const unsigned char *t = sqlite3_column_text(stmt_, i);
  return t ? std::string(reinterpret_cast<const char *>(t),
                         sqlite3_column_bytes(stmt_, i))
           : std::string();
}
std::optional<double> Statement::columnOptDouble(int i) const {
  if (columnIsNull(i))
    return std::nullopt;
  return columnDouble(i);
}
bool Statement::columnIsNull(int i) const {
  return sqlite3_column_type(stmt_, i) == SQLITE_NULL;
}

Transaction::~Transaction() {
  if (open_)
    (void)conn_.exec("ROLLBACK");
}

Status Transaction::begin() {
  // The busy timeout covers waiting for the lock; retry a few times beyond it
  // for the rare SQLITE_BUSY that WAL returns without calling the handler.
  for (int attempt = 0;; ++attempt) {
    Status s = conn_.exec("BEGIN IMMEDIATE");
    if (s) {
      open_ = true;
      return s;
    }
    int code = sqlite3_errcode(conn_.handle()) & 0xff;
    if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) || attempt >= 50)
      return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + 10 * attempt));
  }
}

Status Transaction::commit() {
  for (int attempt = 0;; ++attempt) {
    Status s = conn_.exec("COMMIT");
    if (s) {
      open_ = false;
      return s;
    }
    int code = sqlite3_errcode(conn_.handle()) & 0xff;
    if (code != SQLITE_BUSY || attempt >= 50)
      return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + 10 * attempt));
  }
}

} // namespace tessel::sql
