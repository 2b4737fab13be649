// Aligned text tables.
#include "tools/tessel/Table.h"

#include <algorithm>
#include <cstdio>

namespace tessel {

Table::Table(std::vector<std::string> header, std::vector<bool> numeric)
    : header_(std::move(header)), numeric_(std::move(numeric)) {
  numeric_.resize(header_.size(), false);
}

void Table::addRow(std::vector<std::string> cells) {
  cells.resize(header_.size());
  rows_.push_back(std::move(cells));
}

void Table::print(std::ostream &os) const {
  std::vector<size_t> width(header_.size());
  for (size_t i = 0; i < header_.size(); ++i)
    width[i] = header_[i].size();
  for (const auto &r : rows_)
    for (size_t i = 0; i < r.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  auto line = [&](const std::vector<std::string> &cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      bool last = i + 1 == cells.size();
      std::string pad(width[i] - cells[i].size(), ' ');
      if (numeric_[i])
        out += pad + cells[i];
      else
        out += cells[i] + (last ? "" : pad);
      if (!last)
        out += "  ";
    }
    os << out << '\n';
  };
  line(header_);
  for (const auto &r : rows_)
    line(r);
}


} // namespace tessel
