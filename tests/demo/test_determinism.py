"""``flask seed-demo`` gives the same data on every run: two runs in two processes, each with
its own hash seed and its own SQLite file, leave the same rows in every table.

Both runs read the same frozen moment (the data is built around "today"); nothing else may
change the result — not set or dict order under another ``PYTHONHASHSEED``, not the wall
clock, not the state of the process.
"""

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from caseworks import ROOT

FLASK = str(Path(sys.executable).with_name("flask"))
#: the demo data is built around "today": both runs see the same moment
FROZEN_AT = "2026-10-12T09:00:00+08:00"
#: ``flask seed-demo`` with the clock frozen at argv[1]; the rest of argv is the command line
SEED_WITH_FROZEN_CLOCK = """
import sys
from datetime import datetime

from caseworks.core import clock

clock.set_now(datetime.fromisoformat(sys.argv[1]))
from flask.cli import main

sys.argv = ["flask", "--app", "wsgi", *sys.argv[2:]]
main()
"""
#: columns that differ by design: a password hash carries a random salt
UNREPEATABLE = {"user_account": {"password_hash"}}


def _seed(database, hash_seed):
    """Migrate an empty SQLite file and load the county demo data into it, in new processes."""
    env = {**os.environ, "CASEWORKS_DATABASE_URL": f"sqlite:///{database}", "PYTHONHASHSEED": str(hash_seed)}
    for command in (
        [FLASK, "--app", "wsgi", "db", "upgrade"],
        [sys.executable, "-c", SEED_WITH_FROZEN_CLOCK, FROZEN_AT, "seed-demo", "--scale", "county"],
    ):
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _digests(database):
    """{table: (row count, sha256 of its rows sorted)} for every table in the file."""
    connection = sqlite3.connect(database)
    try:
        tables = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
        digests = {}
        for (table,) in tables:
            columns = [
                row[1]
                for row in connection.execute(f'PRAGMA table_info("{table}")')
                if row[1] not in UNREPEATABLE.get(table, ())
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            rows = connection.execute(f'SELECT {listed} FROM "{table}" ORDER BY {listed}').fetchall()
            digest = hashlib.sha256()
            for row in rows:
                digest.update(repr(row).encode())
            digests[table] = (len(rows), digest.hexdigest())
        return digests
    finally:
        connection.close()


def test_two_processes_seed_the_same_rows(tmp_path):
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    output = _seed(first, hash_seed=1)
    _seed(second, hash_seed=2)
    assert "loaded county scale" in output
    a, b = _digests(first), _digests(second)
    assert a["case_file"][0] == 2000 and a["visit"][0] > 0 and a["audit_entry"][0] > 0
    differing = sorted(table for table in a.keys() | b.keys() if a.get(table) != b.get(table))
    assert not differing, f"tables whose rows differ between the two runs: {differing}"
