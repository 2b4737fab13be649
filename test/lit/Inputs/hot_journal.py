"""Writes an SQLite file of another application with a hot rollback journal
beside it: a writer killed in the middle of a transaction (a child process
that exits without committing or rolling back)."""
import os
import sqlite3
import sys

path = sys.argv[1]
c = sqlite3.connect(path)
c.execute("CREATE TABLE t(x)")
c.execute("INSERT INTO t VALUES (1)")
c.commit()
c.close()
pid = os.fork()
if pid == 0:
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA cache_size=1")  # spill pages to the file before commit
    c.execute("BEGIN")
    for i in range(2000):
        c.execute("INSERT INTO t VALUES (?)", (("x" * 200) + str(i),))
    os._exit(0)  # no commit, no rollback: the journal stays hot
os.waitpid(pid, 0)
assert os.path.getsize(path + "-journal") > 0, "no hot journal was left"
