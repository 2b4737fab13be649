// Search strategies over a SearchSpace.
//
// EvolutionarySearch keeps every observed candidate; each batch it proposes is
// made of children of the fastest ones (tournament selection, crossover,
// mutation) plus random samples, more of them when the best has not improved
// for a while (random restarts). It never proposes a schedule it has seen.
// Everything it does is drawn from one generator seeded by --seed, so the same
// seed and the same observations give the same candidates.
//
// The seam for a learned cost model: a CostModel, if given, ranks a larger
// pool of proposals and the search keeps the best-predicted ones.
#ifndef TESSEL_TUNER_SEARCH_H
#define TESSEL_TUNER_SEARCH_H

#include "tuner/SearchSpace.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tessel {

/// Predicts the relative cost of candidates (lower is better). Implementations
/// learn from observe(); the search only calls predict().
class CostModel {
public:
  virtual ~CostModel() = default;
  virtual double predict(const TaskSignature &task, const Schedule &s) = 0;
  virtual void observe(const TaskSignature &task, const Schedule &s,
                       std::optional<double> seconds) = 0;
};

struct SearchOptions {
  int population = 8;          ///< parents kept for breeding
  double randomFraction = 0.2; ///< of each batch, before restarts
  int stallBatches = 3;        ///< batches without improvement before a restart
  int poolFactor = 4;          ///< proposals per slot when a cost model ranks
};

class EvolutionarySearch {
public:
  EvolutionarySearch(const SearchSpace &space, uint64_t seed,
                     SearchOptions options = {}, CostModel *model = nullptr);

  /// Records a measured candidate: its time, or nullopt if it failed.
  void observe(const Schedule &s, std::optional<double> seconds);
  /// Marks a candidate as seen without a result (it will not be proposed).
  void markSeen(const Schedule &s);
  /// Up to `n` new, distinct, never-seen candidates, each labelled "search"
  /// (bred from observed ones) or "random".
  std::vector<std::pair<Schedule, std::string>> propose(int n);

  std::optional<double> bestSeconds() const;

private:
  Schedule breed();
  const Schedule &tournament();

  const SearchSpace &space_;
  Rng rng_;
  SearchOptions options_;
  CostModel *model_;
  std::set<std::string> seen_;
  /// Observed ok candidates by time (fastest first).
  std::multimap<double, Schedule> ranked_;
  std::optional<double> best_;
  int stalled_ = 0;
};

} // namespace tessel

#endif // TESSEL_TUNER_SEARCH_H
