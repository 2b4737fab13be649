-- One ok record in a schema-version-1 tessel database (run after
-- test/unit/Inputs/schema-v1.sql).
INSERT INTO targets VALUES (1, 'x86-64-avx512', 'h', 't', 'c', 'f');
INSERT INTO machines VALUES (1, 'm1', '{}', 'x86_64', 'cpu', 'avx', 2, 1, 2, 3, 'os', '{}', 0);
INSERT INTO tasks VALUES (1, '6f1d1c4a0e0e6bf33b5b4ec5c8d3b5a3f2b0c0f0d2b0f8c3e1a0c6b0a2d4e6f8',
                          'matmul m=8 n=8 k=8', 'matmul', 'nn', 'f32', 'f32', '', 1024);
INSERT INTO schedules VALUES (1, 'sh', '{}');
INSERT INTO sessions VALUES (1, 'u1', '2026-01-01T00:00:00.000Z', 'tune', 1);
INSERT INTO measurements(uid, task_id, target_id, machine_id, schedule_id, session_id, source,
                         status, median_s, min_s, emulated, threads, created_at)
  VALUES ('r1', 1, 1, 1, 1, 1, 'search', 'ok', 0.001, 0.001, 0, 1, '2026-01-01T00:00:00.000Z');
PRAGMA application_id=1953723244;
PRAGMA user_version=1;
