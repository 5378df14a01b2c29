#!/usr/bin/env python3
"""Builds SQLite databases with python3's sqlite3 module (the real SQLite
library) and dumps what SQLite itself reads from them, for
sqlite_test.go's cross-check. Usage: mkdb.py OUTDIR
(or mkdb.py seeds testdata/seeds: FuzzOpen's committed seed databases).

Each NAME.db comes with NAME.json: {table: [[rowid, [value, ...]], ...]},
every value as [type, text]: ["null",""], ["int","42"],
["float", 16 hex digits of the IEEE bits], ["text", s], ["blob", hex].
Deterministic: fixed seeds, no clock.
"""
import json
import os
import random
import shutil
import sqlite3
import struct
import sys


def enc(v):
    if v is None:
        return ["null", ""]
    if isinstance(v, int):
        return ["int", str(v)]
    if isinstance(v, float):
        return ["float", struct.pack(">d", v).hex()]
    if isinstance(v, str):
        return ["text", v]
    return ["blob", bytes(v).hex()]


def dump(path, out):
    # A private copy: opening a WAL database runs recovery and closing it
    # checkpoints, which must not touch the files the Go reader reads.
    tmp = path + ".copy"
    os.makedirs(tmp, exist_ok=True)
    for suffix in ("", "-wal"):
        if os.path.exists(path + suffix):
            shutil.copy(path + suffix, os.path.join(tmp, "x.db" + suffix))
    con = sqlite3.connect(os.path.join(tmp, "x.db"))
    res = {}
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
        rows = con.execute('SELECT rowid, * FROM "%s" ORDER BY rowid' % name).fetchall()
        res[name] = [[r[0], [enc(v) for v in r[1:]]] for r in rows]
    con.close()
    shutil.rmtree(tmp)
    with open(out, "w") as f:
        json.dump(res, f)


def text(rng, n):
    return "".join(rng.choice("abcdefghij klmnopqrstuvwxyzé€😀") for _ in range(n))


def fill(con, rng, rows):
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b, c REAL, d BLOB)")
    con.execute("CREATE TABLE `message` (`id` text PRIMARY KEY, `session_id` text NOT NULL, `time_created` integer NOT NULL, `data` text NOT NULL)")
    ints = [0, 1, -1, 127, -128, 128, 32767, -32768, 32768, 8388607, -8388608, 2**31 - 1, -2**31,
            2**47 - 1, -2**47, 2**63 - 1, -2**63, 1772323204000]
    for i in range(rows):
        k = rng.random()
        if k < 0.03:
            a = text(rng, rng.choice([3000, 20000, 150000]))  # overflow chains
        else:
            a = text(rng, rng.randrange(0, 200))
        b = rng.choice([None, rng.choice(ints), rng.random() * 1e6, "s%d" % i, b"\x00\xff" * rng.randrange(4)])
        c = rng.choice([None, 0.0, -2.5, 1e300, rng.random()])
        d = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40))) if rng.random() < 0.5 else None
        con.execute("INSERT INTO t (a, b, c, d) VALUES (?, ?, ?, ?)", (a, b, c, d))
        con.execute("INSERT INTO message VALUES (?, ?, ?, ?)",
                    ("msg_%06d" % i, "ses_%d" % (i % 7), 1772323204000 + i, json.dumps({"role": "assistant", "n": i})))


def main(out):
    os.makedirs(out, exist_ok=True)

    # plain: rollback journal, 1 KiB pages (many pages, long overflow
    # chains), deleted rows (free blocks and pages), a column added after
    # rows were written.
    p = os.path.join(out, "plain.db")
    con = sqlite3.connect(p, isolation_level=None)
    con.execute("PRAGMA page_size=1024")
    con.execute("PRAGMA journal_mode=DELETE")
    rng = random.Random(1)
    con.execute("BEGIN")
    fill(con, rng, 3000)
    con.execute("COMMIT")
    con.execute("DELETE FROM t WHERE id % 7 = 3")
    con.execute("DELETE FROM message WHERE rowid % 5 = 1")
    con.execute("ALTER TABLE t ADD COLUMN e TEXT DEFAULT NULL")
    con.execute("INSERT INTO t (a, e) VALUES ('after', 'added')")
    con.close()
    dump(p, os.path.join(out, "plain.json"))

    # utf16: a UTF-16le database.
    p = os.path.join(out, "utf16.db")
    con = sqlite3.connect(p, isolation_level=None)
    con.execute("PRAGMA encoding='UTF-16le'")
    con.execute("CREATE TABLE u (s TEXT)")
    for s in ["plain", "é€", "😀 emoji", "x" * 3000]:
        con.execute("INSERT INTO u VALUES (?)", (s,))
    con.close()
    dump(p, os.path.join(out, "utf16.json"))

    # wal: committed transactions in the WAL (no checkpoint), then an open
    # transaction large enough to spill uncommitted frames into the WAL;
    # the files are copied while it is open, as a reader would find them.
    p = os.path.join(out, "wal.db")
    work = os.path.join(out, "wal-work.db")
    con = sqlite3.connect(work, isolation_level=None)
    con.execute("PRAGMA page_size=1024")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("PRAGMA cache_size=10")
    rng = random.Random(2)
    con.execute("BEGIN")
    fill(con, rng, 400)
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the base file holds these
    for i in range(5):
        con.execute("BEGIN")
        con.execute("UPDATE t SET a = ? WHERE id % 11 = ?", ("updated %d" % i, i))
        con.execute("DELETE FROM message WHERE rowid % 13 = ?", (i,))
        con.execute("INSERT INTO t (a) VALUES (?)", (text(rng, 5000),))
        con.execute("COMMIT")
    # Rows already committed are changed first, then enough is inserted
    # for the small cache to spill those changed pages into the WAL too:
    # a reader that took frames past the last commit would see them.
    con.execute("BEGIN")
    con.execute("UPDATE t SET a = 'uncommitted' WHERE id < 50")
    con.execute("UPDATE message SET data = 'uncommitted'")
    for i in range(3000):
        con.execute("INSERT INTO t (a) VALUES (?)", ("uncommitted %d " % i + text(rng, 100),))
    shutil.copy(work, p)
    shutil.copy(work + "-wal", p + "-wal")
    con.execute("ROLLBACK")
    con.close()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(work + suffix):
            os.remove(work + suffix)
    dump(p, os.path.join(out, "wal.json"))


def seeds(out):
    """Small databases for FuzzOpen's corpus (committed in testdata)."""
    os.makedirs(out, exist_ok=True)
    p = os.path.join(out, "seed.db")
    con = sqlite3.connect(p, isolation_level=None)
    con.execute("PRAGMA page_size=512")
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b REAL)")
    for i in range(12):
        con.execute("INSERT INTO t (a, b) VALUES (?, ?)", ("x" * (i * 97 % 1300), i / 3))
    con.execute("DELETE FROM t WHERE id % 4 = 0")
    con.close()
    work = os.path.join(out, "work.db")
    con = sqlite3.connect(work, isolation_level=None)
    con.execute("PRAGMA page_size=512")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")
    con.execute("CREATE TABLE m (id text PRIMARY KEY, data text NOT NULL)")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for i in range(3):
        con.execute("INSERT INTO m VALUES (?, ?)", ("msg_%d" % i, "y" * (i * 400)))
    shutil.copy(work, os.path.join(out, "seedwal.db"))
    shutil.copy(work + "-wal", os.path.join(out, "seedwal.db-wal"))
    con.close()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(work + suffix):
            os.remove(work + suffix)


if __name__ == "__main__":
    if sys.argv[1] == "seeds":
        seeds(sys.argv[2])
    else:
        main(sys.argv[1])
