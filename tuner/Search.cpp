// Evolutionary search.
#include "tuner/Search.h"

#include <algorithm>

namespace tessel {

EvolutionarySearch::EvolutionarySearch(const SearchSpace &space, uint64_t seed,
                                       SearchOptions options, CostModel *model)
    : space_(space), rng_(seed), options_(options), model_(model) {}

void EvolutionarySearch::markSeen(const Schedule &s) { seen_.insert(s.hash()); }

void EvolutionarySearch::observe(const Schedule &s,
                                 std::optional<double> seconds) {
  seen_.insert(s.hash());
  if (model_)
    model_->observe(space_.task(), s, seconds);
  if (!seconds || s.kind != "loopnest")
    return;
  ranked_.emplace(*seconds, s);
  if (!best_ || *seconds < *best_) {
    best_ = *seconds;
    stalled_ = -1; // reset below when the batch ends
  }
}

std::optional<double> EvolutionarySearch::bestSeconds() const { return best_; }

const Schedule &EvolutionarySearch::tournament() {
  int parents = std::min<int>(options_.population, static_cast<int>(ranked_.size()));
  std::uniform_int_distribution<int> d(0, parents - 1);
  int a = d(rng_), b = d(rng_);
  auto it = ranked_.begin();
  std::advance(it, std::min(a, b));
  return it->second;
}

Schedule EvolutionarySearch::breed() {
  const Schedule &a = tournament();
  if (std::uniform_real_distribution<double>(0, 1)(rng_) < 0.4) {
    const Schedule &b = tournament();
    return space_.mutate(space_.crossover(a, b, rng_), rng_);
  }
  return space_.mutate(a, rng_);
}

std::vector<std::pair<Schedule, std::string>> EvolutionarySearch::propose(int n) {
  // Stall accounting: observe() sets -1 when a batch improved the best.
  stalled_ = stalled_ < 0 ? 0 : stalled_ + 1;
  double randomShare = options_.randomFraction;
  if (stalled_ >= options_.stallBatches) {
    randomShare = 0.5; // random restart
    stalled_ = 0;
  }
  std::vector<std::pair<Schedule, std::string>> out;
  std::set<std::string> batch;
  int pool = model_ ? n * options_.poolFactor : n;
  std::vector<std::pair<Schedule, std::string>> candidates;
  for (int attempts = 0;
       static_cast<int>(candidates.size()) < pool && attempts < pool * 50;
       ++attempts) {
    bool random = ranked_.empty() ||
                  std::uniform_real_distribution<double>(0, 1)(rng_) < randomShare;
    Schedule s = random ? space_.sample(rng_) : breed();
    std::string h = s.hash();
    if (seen_.count(h) || batch.count(h))
      continue;
    batch.insert(h);
    candidates.emplace_back(std::move(s), random ? "random" : "search");
  }
  if (model_) {
    std::vector<std::pair<double, size_t>> scored;
    for (size_t i = 0; i < candidates.size(); ++i)
      scored.emplace_back(model_->predict(space_.task(), candidates[i].first), i);
    std::stable_sort(scored.begin(), scored.end());
    for (size_t i = 0; i < scored.size() && static_cast<int>(out.size()) < n; ++i)
      out.push_back(candidates[scored[i].second]);
  } else {
    out = std::move(candidates);
  }
  for (const auto &c : out)
    seen_.insert(c.first.hash());
  return out;
}

} // namespace tessel
