// Aligned text tables for the people reading `tessel` output.
#ifndef TESSEL_TOOLS_TABLE_H
#define TESSEL_TOOLS_TABLE_H

#include "db/Format.h"

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace tessel {

/// Collects rows, then prints them with every column padded to its widest
/// cell. Columns marked numeric are right-aligned.
class Table {
public:
  /// `numeric[i]` right-aligns column i.
  Table(std::vector<std::string> header, std::vector<bool> numeric = {});
  void addRow(std::vector<std::string> cells);
  void print(std::ostream &os) const;
  bool empty() const { return rows_.empty(); }

private:
  std::vector<std::string> header_;
  std::vector<bool> numeric_;
  std::vector<std::vector<std::string>> rows_;
};

} // namespace tessel

#endif // TESSEL_TOOLS_TABLE_H
