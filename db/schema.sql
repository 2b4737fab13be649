-- tessel schedule database, schema version 3.
--
-- This file creates a new database at the current version. It is embedded into
-- the binary at build time; Database::open() runs it in one transaction on an
-- empty file and then sets PRAGMA user_version. Older files are brought up to
-- date by the forward-only steps of migrations() in db/Database.cpp.
--
-- Natural keys (task hash, schedule hash, machine hash, session uuid,
-- measurement uid, target name) are what merge and export use; the integer ids
-- are local to one file.

CREATE TABLE targets (
  id             INTEGER PRIMARY KEY,
  name           TEXT NOT NULL UNIQUE,
  halide_target  TEXT NOT NULL,
  llvm_triple    TEXT NOT NULL,
  llvm_cpu       TEXT NOT NULL,
  llvm_features  TEXT NOT NULL
);

CREATE TABLE machines (
  id           INTEGER PRIMARY KEY,
  hash         TEXT NOT NULL UNIQUE,   -- SHA-256 of fingerprint
  fingerprint  TEXT NOT NULL,          -- canonical JSON
  arch         TEXT NOT NULL,
  cpu_model    TEXT NOT NULL,
  isa          TEXT NOT NULL,          -- space-separated features
  cores        INTEGER NOT NULL,
  l1d_bytes    INTEGER NOT NULL,
  l2_bytes     INTEGER NOT NULL,
  l3_bytes     INTEGER NOT NULL,
  os           TEXT NOT NULL,
  versions     TEXT NOT NULL,          -- JSON object tool -> version
  emulated     INTEGER NOT NULL CHECK (emulated IN (0, 1))
);

CREATE TABLE tasks (
  id         INTEGER PRIMARY KEY,
  hash       TEXT NOT NULL UNIQUE,     -- SHA-256 of signature
  signature  TEXT NOT NULL,            -- canonical text
  family     TEXT NOT NULL,
  layout     TEXT NOT NULL,
  in_type    TEXT NOT NULL,
  out_type   TEXT NOT NULL,
  epilogue   TEXT NOT NULL,            -- "bias+relu" or ""
  flops      REAL NOT NULL
);
CREATE INDEX tasks_family ON tasks(family);

-- One row per (task, dimension value) so that "a 512 in the shape" is a query.
CREATE TABLE task_dims (
  task_id  INTEGER NOT NULL REFERENCES tasks(id),
  value    INTEGER NOT NULL,
  PRIMARY KEY (task_id, value)
) WITHOUT ROWID;
CREATE INDEX task_dims_value ON task_dims(value);

CREATE TABLE schedules (
  id     INTEGER PRIMARY KEY,
  hash   TEXT NOT NULL UNIQUE,         -- SHA-256 of json
  json   TEXT NOT NULL                 -- canonical JSON
);

CREATE TABLE sessions (
  id          INTEGER PRIMARY KEY,
  uuid        TEXT NOT NULL UNIQUE,
  started_at  TEXT NOT NULL,           -- ISO 8601 UTC
  command     TEXT NOT NULL,
  machine_id  INTEGER NOT NULL REFERENCES machines(id)
);

CREATE TABLE measurements (
  id           INTEGER PRIMARY KEY,
  uid          TEXT NOT NULL UNIQUE,   -- random, global: merge key
  task_id      INTEGER NOT NULL REFERENCES tasks(id),
  target_id    INTEGER NOT NULL REFERENCES targets(id),
  machine_id   INTEGER NOT NULL REFERENCES machines(id),
  schedule_id  INTEGER NOT NULL REFERENCES schedules(id),
  session_id   INTEGER NOT NULL REFERENCES sessions(id),
  source       TEXT NOT NULL,          -- heuristic, search, random, adams2019, mullapudi2016, manual
  status       TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'wrong', 'timeout')),
  median_s     REAL,                   -- NULL unless timed
  min_s        REAL,
  spread       REAL,                   -- (p90 - p10) / median
  repeats      INTEGER NOT NULL DEFAULT 0,
  max_error    REAL,                   -- vs reference; NULL if not verified
  emulated     INTEGER NOT NULL CHECK (emulated IN (0, 1)),
  threads      INTEGER NOT NULL,
  error        TEXT NOT NULL DEFAULT '',
  created_at   TEXT NOT NULL,          -- ISO 8601 UTC
  -- The code measured: Halide's kernel or the loops tessel compile emits.
  -- Version 1 had no such column: its records were all Halide's.
  realizer     TEXT NOT NULL DEFAULT 'halide' CHECK (realizer IN ('halide', 'mlir')),
  -- How the time was taken: 'warm', calls in a loop (what version 1 did),
  -- 'swept', each call after sweeping the caches, as between a model's ops
  -- (version 2), 'cold', as swept and with the weights and bias evicted to
  -- memory, where a model whose weights outgrow the caches reads them from
  -- (version 3, whose migration rebuilds this table to allow it).
  cache        TEXT NOT NULL DEFAULT 'warm' CHECK (cache IN ('warm', 'swept', 'cold')),
  CHECK (status != 'ok' OR median_s IS NOT NULL)
);
CREATE INDEX measurements_task_target ON measurements(task_id, target_id, status);
CREATE INDEX measurements_session ON measurements(session_id);

-- What a compiler uses: per (task, target, realizer) the fastest verified,
-- native measurement of a loop-nest schedule, among those timed most as a
-- model runs the kernel: cold when there are any, else swept, else warm
-- (warm loops flatter small kernels, cached weights large ones: times only
-- compare alike, the order of cacheRank() in db/Database.h). Failed, wrong,
-- timed-out and emulated rows are never best, nor are autoscheduler seeds
-- (kept as reference points: only Halide can redo them). Ties on median are
-- broken by min, then by uid, so the answer is stable. The migrations, the
-- read-only view of a version-1 file and bestRankingSql() take this view
-- from this text.
CREATE VIEW best AS
SELECT * FROM (
  SELECT m.*,
         ROW_NUMBER() OVER (PARTITION BY m.task_id, m.target_id, m.realizer
                            ORDER BY CASE m.cache WHEN 'cold' THEN 0 WHEN 'swept' THEN 1
                                     ELSE 2 END, m.median_s, m.min_s,
                                     m.uid) AS rank
  FROM measurements m JOIN schedules s ON s.id = m.schedule_id
  WHERE m.status = 'ok' AND m.emulated = 0 AND m.median_s IS NOT NULL
    AND instr(s.json, '"kind":"autoscheduler"') = 0
) WHERE rank = 1;
