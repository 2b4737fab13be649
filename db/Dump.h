// Export, import and merge: the whole database as canonical JSON.
//
// The JSON names everything by natural key (task hash, schedule hash, machine
// hash, session uuid, measurement uid, target name), never by row id, and lists
// each section sorted by that key, so exporting, importing into an empty file
// and exporting again gives the same bytes. Import and merge add only what is
// missing (by key): doing either twice adds nothing the second time. Every
// entry is validated (hashes recomputed from the canonical text) before
// anything is written, and an import is one transaction: all of it or none.
#ifndef TESSEL_DB_DUMP_H
#define TESSEL_DB_DUMP_H

#include "db/Database.h"

#include <nlohmann/json.hpp>
#include <string>

namespace tessel {

/// Format name written in every export.
constexpr const char *kExportFormat = "tessel-schedule-db";

/// How many rows of each kind an import or merge added.
struct ImportCounts {
  int64_t targets = 0, machines = 0, tasks = 0, schedules = 0, sessions = 0,
          measurements = 0;
  /// Measurements already present (same uid), so not added again.
  int64_t skipped = 0;
  ImportCounts &operator+=(const ImportCounts &o);
};

/// The whole database as a JSON document.
Result<nlohmann::json> exportJson(Database &db);

/// Adds what `doc` holds and `db` lacks, in one transaction. Fails without
/// writing anything if the document is malformed or any entry is invalid.
Result<ImportCounts> importJson(Database &db, const nlohmann::json &doc);

/// Folds the database at `inputPath` into `out` (the input is opened
/// read-only and never written).
Result<ImportCounts> mergeFrom(Database &out, const std::string &inputPath);

} // namespace tessel

#endif // TESSEL_DB_DUMP_H
