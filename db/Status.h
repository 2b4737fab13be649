// Status and Result<T>: how library code in db/ and tuner/ reports failure.
//
// A Result<T> holds either a value or an error message; the message is a
// complete sentence fragment a user can read ("bad.db: file is not a database"),
// so callers add context by prefixing, never by wrapping in exceptions.
#ifndef TESSEL_DB_STATUS_H
#define TESSEL_DB_STATUS_H

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace tessel {

/// An error message; the only failure type the libraries use.
struct Error {
  std::string message;
};

/// Success, or an Error.
class [[nodiscard]] Status {
public:
  Status() = default;
  Status(Error e) : error_(std::move(e.message)) {}
  static Status ok() { return Status(); }

  bool isOk() const { return !error_; }
  explicit operator bool() const { return isOk(); }
  /// The error message; empty when ok.
  const std::string &message() const {
    static const std::string empty;
    return error_ ? *error_ : empty;
  }

private:
  std::optional<std::string> error_;
};

/// A value of type T, or an Error.
template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error e) : v_(std::move(e)) {}

  bool isOk() const { return v_.index() == 0; }
  explicit operator bool() const { return isOk(); }
  T &value() { return std::get<0>(v_); }
  const T &value() const { return std::get<0>(v_); }
  T &operator*() { return value(); }
  const T &operator*() const { return value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }
  const std::string &message() const { return std::get<1>(v_).message; }
  /// The error as a Status (only meaningful when !isOk()).
  Status status() const { return isOk() ? Status() : Status(std::get<1>(v_)); }

private:
  std::variant<T, Error> v_;
};

/// Builds an Error from a message.
inline Error makeError(std::string message) { return Error{std::move(message)}; }

} // namespace tessel

#endif // TESSEL_DB_STATUS_H
