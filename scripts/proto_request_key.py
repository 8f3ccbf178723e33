#!/usr/bin/env python3
"""What the request-key index costs SQLite alone, identifiers in order against in no order
(issue 17): rows shaped like the store's purchase events inserted 16,000 to a commit, with
the request unique identifier (a) in a text index on the table, as the store does, (b) in a
separate WITHOUT ROWID table written in key order at each commit ("keys sorted within a
commit"), (c) as a 64-bit hash in an integer index ("a compact hash, the identifier checked
on hit"). Optionally into a table already holding --base rows of the same kind of
identifiers. Prints the median seconds of --runs runs and the file's bytes an event.

    python3 scripts/proto_request_key.py --events 300000 --runs 3
    python3 scripts/proto_request_key.py --events 300000 --base 3000000 --runs 1
"""

import argparse
import hashlib
import os
import sqlite3
import statistics
import tempfile
import time

GROUP = 16_000
BODY = "x" * 150
ID = "01A22DAF63E0200004C4B414A71BE49F"


def identifier(i, ordered):
    return f"{i:012d}" if ordered else hashlib.md5(str(i).encode()).hexdigest()


def key_hash(text):
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little",
                          signed=True)


def rows(first, count, ordered):
    for i in range(first, first + count):
        rui = identifier(i, ordered)
        yield (i + 1, ID, rui, key_hash(rui), 1, BODY)


def open_store(path, form):
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("page_size=8192", "cache_size=-8192", "journal_mode=wal",
                   "synchronous=normal"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT, rui TEXT, h INTEGER,"
                 " account, body TEXT)")
    if form == "text index":
        conn.execute("CREATE INDEX events_request ON events (rui)")
    elif form == "sorted table":
        conn.execute("CREATE TABLE requests (rui TEXT, seq INTEGER, PRIMARY KEY (rui, seq))"
                     " WITHOUT ROWID")
    elif form == "hash index":
        conn.execute("CREATE INDEX events_request ON events (h)")
    return conn


def insert(conn, form, batch):
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)", batch)
    if form == "sorted table":
        conn.executemany("INSERT INTO requests VALUES (?, ?)",
                         sorted((row[2], row[0]) for row in batch))
    conn.execute("COMMIT")


def case(form, ordered, events, base, work):
    path = os.path.join(work, "store.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    conn = open_store(path, form)
    for first in range(0, base, GROUP):
        insert(conn, form, list(rows(first, min(GROUP, base - first), ordered)))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    measured = list(rows(base, events, ordered))
    started = time.perf_counter()
    for first in range(0, events, GROUP):
        insert(conn, form, measured[first:first + GROUP])
    elapsed = time.perf_counter() - started
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return elapsed, os.path.getsize(path) / (base + events)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--base", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    forms = ["no index", "text index", "sorted table", "hash index"]
    with tempfile.TemporaryDirectory(dir=".") as work:
        results = {}
        for _ in range(args.runs):
            for form in forms:
                for ordered in (True, False):
                    results.setdefault((form, ordered), []).append(
                        case(form, ordered, args.events, args.base, work))
    print(f"{args.events:,} events into {args.base:,}, {args.runs} runs, median seconds")
    for form in forms:
        times = {o: statistics.median(t for t, _ in results[(form, o)]) for o in (True, False)}
        size = results[(form, False)][-1][1]
        print(f"  {form:13} in order {times[True]:.2f} s  no order {times[False]:.2f} s  "
              f"({times[True] / times[False]:.2f}x of in order)  {size:.0f} B/event in no order")


if __name__ == "__main__":
    main()
