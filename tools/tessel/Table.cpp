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

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string formatSeconds(std::optional<double> s) {
  if (!s)
    return "-";
  double v = *s;
  if (v >= 1)
    return fixed(v, 2) + " s";
  if (v >= 1e-3)
    return fixed(v * 1e3, 3) + " ms";
  return fixed(v * 1e6, 1) + " us";
}

std::string formatBytes(long long bytes) {
  if (bytes <= 0)
    return "-";
  if (bytes % (1 << 20) == 0)
    return std::to_string(bytes >> 20) + " MiB";
  if (bytes % (1 << 10) == 0)
    return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " B";
}

} // namespace tessel
