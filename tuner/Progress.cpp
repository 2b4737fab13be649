// Progress bars.
#include "tuner/Progress.h"

#include <cstdio>
#include <unistd.h>

namespace tessel {

ProgressBar::ProgressBar(std::ostream &os, std::string label, int planned,
                         const double &peakGflops)
    : os_(os), label_(std::move(label)), planned_(planned), peak_(peakGflops),
      tty_(isatty(STDERR_FILENO) != 0) {}

std::string ProgressBar::render(int done, std::optional<double> best,
                                std::optional<double> eta,
                                const std::string &status) const {
  const int width = 24;
  int filled = planned_ > 0 ? std::min(width, done * width / planned_) : 0;
  std::string bar = "[" + std::string(filled, '#') +
                    std::string(width - filled, '.') + "]";
  char buf[256];
  std::string planned = planned_ > 0 ? std::to_string(planned_) : "?";
  std::string etaText = "--:--";
  if (eta) {
    int s = static_cast<int>(*eta + 0.5);
    std::snprintf(buf, sizeof buf, "%d:%02d", s / 60, s % 60);
    etaText = buf;
  }
  std::string bestText = "best -";
  if (best) {
    if (peak_ > 0)
      std::snprintf(buf, sizeof buf, "best %.1f GFLOP/s (%.0f%% of peak)", *best,
                    100.0 * *best / peak_);
    else
      std::snprintf(buf, sizeof buf, "best %.1f GFLOP/s", *best);
    bestText = buf;
  }
  std::snprintf(buf, sizeof buf, "%s %3d/%s  ETA %s  %s", bar.c_str(), done,
                planned.c_str(), etaText.c_str(), bestText.c_str());
  std::string line = "  " + label_ + "  " + buf;
  if (!status.empty())
    line += "  " + status;
  return line;
}

void ProgressBar::update(int done, std::optional<double> best,
                         std::optional<double> eta, const std::string &status) {
  std::string line = render(done, best, eta, status);
  if (tty_)
    os_ << "\r\033[K" << line << std::flush;
  else
    os_ << line << "\n";
}

void ProgressBar::finish(int done, std::optional<double> best,
                         const std::string &note) {
  std::string line = render(done, best, 0.0, note);
  if (tty_)
    os_ << "\r\033[K" << line << "\n" << std::flush;
  else
    os_ << line << "\n";
}

} // namespace tessel
