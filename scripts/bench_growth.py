#!/usr/bin/env python3
"""A nightly import into a store that has grown: N events already stored (built once per
binary and cached, outside the timing), then 300 k purchase events with 2 products each
imported into a copy of it, with identifiers in order and in no order, from NDJSON and CSV;
the same file imported again (a re-run, which creates nothing); and the store listed in each
format. Prints events/s, CPU (user + system, every thread) an event, peak RSS and bytes per
stored event, medians over --runs runs.

    cargo build --release
    python3 scripts/bench_growth.py --store-size 0          # a fresh store
    python3 scripts/bench_growth.py --store-size 10000000   # a store of 10 M events

Give --binary twice to compare two builds in one run (their runs alternate). The base store
of each binary is kept under --cache (default target/bench-stores) and reused; delete it to
rebuild. The events are those of scripts/bench.py.
"""
import argparse
import hashlib
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import bench  # noqa: E402  (the same events and reference data as the main benchmark)

CHUNK = 1_000_000


def identifier(i, ordered):
    # Identifiers in order count up; in no order they are hashes, as a partner's UUIDs are.
    return f"{i:012d}" if ordered else hashlib.md5(str(i).encode()).hexdigest()


def csv_rows(out, first, count, ordered):
    out.write(bench.CSV_HEADER)
    for i in range(first, first + count):
        row = bench.csv_row(i)
        out.write(identifier(i, ordered) + row[row.index(","):])


def ndjson_lines(out, first, count, ordered):
    import json
    for i in range(first, first + count):
        event = bench.event(i)
        event["request_unique_identifier"] = identifier(i, ordered)
        out.write(json.dumps(event, separators=(",", ":")) + "\n")


def store_files(store):
    return [pathlib.Path(str(store) + suffix) for suffix in ("", "-journal", "-wal", "-shm")]


def remove_store(store):
    for path in store_files(store):
        path.unlink(missing_ok=True)


def store_bytes(store):
    return sum(path.stat().st_size for path in store_files(store) if path.exists())


def timed(command, stdout=subprocess.DEVNULL):
    # Peak RSS from GNU time: the child's own rusage would count the Python process it was
    # forked from, before it became cebulk.
    # What the last case wrote (a listing of gigabytes, a copied store) is written out
    # before the clock starts, not during this case's commits.
    os.sync()
    with tempfile.NamedTemporaryFile("r") as peak:
        started = time.perf_counter()
        process = subprocess.Popen(["/usr/bin/time", "-f", "%M %U %S", "-o", peak.name, *command],
                                   stdout=stdout)
        status = process.wait()
        elapsed = time.perf_counter() - started
        if status not in (0, 1):
            raise SystemExit(f"{' '.join(map(str, command))} exited {status}")
        # The last line: GNU time writes a note on a line of its own before it when the
        # command exits non-zero.
        rss, user, system = peak.read().splitlines()[-1].split()
        return elapsed, int(rss) / 1024, float(user) + float(system)


def base_store(binary, size, cache, work):
    """The store of `size` events (identifiers in order, numbered before the measured ones),
    built by `binary` and cached by its content hash."""
    digest = hashlib.sha256(pathlib.Path(binary).read_bytes()).hexdigest()[:12]
    path = cache / f"base-{size}-{digest}.db"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    building = cache / "building.db"
    remove_store(building)
    (work / "reference.json").write_text(__import__("json").dumps(bench.reference()))
    subprocess.run([binary, "--store", building, "reference", "load", work / "reference.json"],
                   check=True, stderr=subprocess.DEVNULL)
    for first in range(0, size, CHUNK):
        chunk = work / "chunk.csv"
        with open(chunk, "w") as out:
            csv_rows(out, first, min(CHUNK, size - first), ordered=True)
        subprocess.run([binary, "--store", building, "import", "--quiet", "--kind", "purchases",
                        "--report", work / "chunk-report.json", chunk], check=True)
        print(f"  base store: {min(first + CHUNK, size):,} of {size:,} events", file=sys.stderr)
    chunk = work / "chunk.csv"
    chunk.unlink(missing_ok=True)
    building.rename(path)
    for suffix in ("-journal", "-wal", "-shm"):
        pathlib.Path(str(building) + suffix).unlink(missing_ok=True)
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--store-size", type=int, default=0)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--binary", action="append")
    parser.add_argument("--cache", default="target/bench-stores")
    parser.add_argument("--base-store",
                        help="a store of --store-size events to copy instead of building one "
                             "with each binary (any schema the binaries upgrade)")
    parser.add_argument("--cases", default="ordered,unordered,rerun,listing",
                        help="comma-separated: ordered, unordered, rerun, listing")
    args = parser.parse_args()
    binaries = args.binary or ["target/release/cebulk"]
    cases = args.cases.split(",")
    with tempfile.TemporaryDirectory(dir=".") as tmp:
        work = pathlib.Path(tmp)
        bases = {}
        for binary in binaries:
            if args.store_size and args.base_store:
                bases[binary] = pathlib.Path(args.base_store)
            elif args.store_size:
                bases[binary] = base_store(binary, args.store_size, pathlib.Path(args.cache), work)
            else:
                bases[binary] = None
        (work / "reference.json").write_text(__import__("json").dumps(bench.reference()))
        first = args.store_size
        for ordered in (True, False):
            with open(work / f"events-{ordered}.csv", "w") as out:
                csv_rows(out, first, args.events, ordered)
            with open(work / f"events-{ordered}.ndjson", "w") as out:
                ndjson_lines(out, first, args.events, ordered)

        results = {}

        def record(case, binary, value):
            results.setdefault((case, binary), []).append(value)

        store = work / "store.db"
        for _ in range(args.runs):
            for binary in binaries:
                for ordered in (True, False):
                    name = "ordered" if ordered else "unordered"
                    if name not in cases and not (ordered and ("rerun" in cases or "listing" in cases)):
                        continue
                    for source in ("csv", "ndjson"):
                        remove_store(store)
                        if bases[binary]:
                            shutil.copyfile(bases[binary], store)
                            # On disk before the timing, as a store a nightly job finds is:
                            # otherwise the import's first commit waits while its fsync
                            # writes out the gigabytes of the copy.
                            with open(store, "rb+") as copied:
                                os.fsync(copied.fileno())
                        else:
                            subprocess.run([binary, "--store", store, "reference", "load",
                                            work / "reference.json"], check=True,
                                           stderr=subprocess.DEVNULL)
                        events = work / f"events-{ordered}.{source}"
                        command = [binary, "--store", store, "import", "--quiet", "--kind",
                                   "purchases", "--report", work / "report.json", events]
                        elapsed, peak, cpu = timed(command)
                        stored = args.store_size + args.events
                        if name in cases:
                            record(f"{name} {source}", binary,
                                   (args.events / elapsed, peak, store_bytes(store) / stored,
                                    cpu / args.events))
                        if ordered and source == "csv" and "rerun" in cases:
                            elapsed, peak, cpu = timed(command)
                            record("re-run csv", binary,
                                   (args.events / elapsed, peak, None, cpu / args.events))
                        if ordered and source == "csv" and "listing" in cases:
                            for fmt in ("json", "ndjson", "csv"):
                                with open(work / "listing", "w") as out:
                                    elapsed, peak, cpu = timed([binary, "--store", store, "events",
                                                                "--format", fmt], stdout=out)
                                record(f"listing {fmt}", binary,
                                       (stored / elapsed, peak, None, cpu / stored))
                                (work / "listing").unlink()
        print(f"store of {args.store_size:,} events, {args.events:,} imported, runs={args.runs}")
        for (case, binary), values in results.items():
            label = f" {binary}" if len(binaries) > 1 else ""
            rates = [v[0] for v in values]
            peaks = [v[1] for v in values]
            sizes = [v[2] for v in values if v[2] is not None]
            size = f" {statistics.median(sizes):.0f} B/event" if sizes else ""
            cpu = statistics.median(v[3] for v in values) * 1e6
            print(f"{case:16}{label} median={statistics.median(rates):,.0f} events/s "
                  f"(min {min(rates):,.0f}, max {max(rates):,.0f}) "
                  f"CPU {cpu:.2f} µs/event peak RSS max={max(peaks):.1f} MiB{size}")


if __name__ == "__main__":
    main()
