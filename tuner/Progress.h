// A progress bar per task on the terminal: trials done/planned, ETA and the
// best so far in GFLOP/s and % of peak. Redrawn in place on a terminal; on a
// pipe or file, one line per update so logs stay readable.
#ifndef TESSEL_TUNER_PROGRESS_H
#define TESSEL_TUNER_PROGRESS_H

#include <optional>
#include <ostream>
#include <string>

namespace tessel {

class ProgressBar {
public:
  /// `peakGflops`: the session's figure, read at each render (it may rise
  /// when measured again).
  ProgressBar(std::ostream &os, std::string label, int planned,
              const double &peakGflops);
  /// `done` trials so far, best GFLOP/s so far, seconds left (estimate).
  void update(int done, std::optional<double> bestGflops,
              std::optional<double> etaSec, const std::string &status = "");
  /// Ends the bar with a final line.
  void finish(int done, std::optional<double> bestGflops, const std::string &note);
  const std::string &label() const { return label_; }

private:
  std::string render(int done, std::optional<double> best,
                     std::optional<double> eta, const std::string &status) const;
  std::ostream &os_;
  std::string label_;
  int planned_;
  const double &peak_;
  bool tty_;
};

} // namespace tessel

#endif // TESSEL_TUNER_PROGRESS_H
