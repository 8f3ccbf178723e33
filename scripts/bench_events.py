#!/usr/bin/env python3
"""Listing benchmark: builds a store of N purchase events with L product lines each, then
times `cebulk events --format csv`, `--format json` and `--format ndjson` written to
/dev/null (or to a file, --output) by the release binary. Prints events/s, line items/s,
CPU time (user + system, all threads) and peak RSS (medians over --runs runs, the peak the
largest; the machine is noisy, so read medians and ratios, not single runs). Needs GNU
time at /usr/bin/time.

    cargo build --release && python3 scripts/bench_events.py --events 10 --lines 2000 --runs 3

--store PATH lists that store instead (built there first if it does not exist, and kept).

--binary given twice compares two builds: their runs alternate, on the same store (built
by the first binary).
"""
import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import tempfile
import time

PRODUCTS = ["Serendipity", "Bronze", "Silver"]


def event(i, lines):
    return {
        "request_unique_identifier": str(i),
        "accounts_receivable_identifier": {"number": "ACR0000000020"},
        "performed_by_unit_identifier": {"name": "Admin Unit"},
        "performed_on": "2016-06-22T15:00:00",
        "reference_number": f"RF{i}",
        "udf_string_1": f"note {i}",
        "products_set": [
            {"product_identifier": {"code": PRODUCTS[j % len(PRODUCTS)]}, "quantity": j % 7 + 1,
             "net_amount": 50 + j, "vat_amount": 10, "total_amount": 60 + j}
            for j in range(lines)
        ],
    }


def build(binary, directory, events, lines):
    store = directory / "bench.db"
    source = directory / "events.ndjson"
    with open(source, "w") as out:
        for i in range(events):
            out.write(json.dumps(event(i, lines), separators=(",", ":")) + "\n")
    reference = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "reference.json"
    subprocess.run([binary, "--store", str(store), "import", "--quiet", "--kind", "purchases",
                    "--reference", str(reference), "--report", str(directory / "report.json"),
                    str(source)], check=True)
    source.unlink()
    return store


def listing(binary, store, fmt, output):
    """The seconds, CPU seconds (user + system) and peak RSS (KiB) of one listing. The peak
    is GNU time's (`/usr/bin/time -f %M`): a child's own rusage counts the Python process it
    was forked from."""
    command = [binary, "--store", str(store), "events", "--format", fmt]
    if os.path.isfile(output):
        # The last run's output is removed, and what the kernel still had to write of it
        # written, before the clock starts: truncating it on the clock freed its pages
        # there, and its writeback took a core from the next run.
        os.unlink(output)
        os.sync()
    with tempfile.NamedTemporaryFile("r") as peak:
        timed = ["/usr/bin/time", "-f", "%M", "-o", peak.name] + command
        started = time.perf_counter()
        with open(output, "wb") as sink:
            process = subprocess.Popen(timed, stdout=sink)
            _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        if status != 0:
            raise SystemExit(f"{command} failed: {status}")
        return elapsed, usage.ru_utime + usage.ru_stime, int(peak.read().split()[-1])


def rate(count, seconds):
    per_second = count / seconds
    return f"{per_second:,.1f}" if per_second < 100 else f"{per_second:,.0f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=2, help="product lines per event")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", default="/dev/null",
                        help="where the listing goes (default /dev/null); a file is replaced, "
                             "the last run's removed before the next is timed")
    parser.add_argument("--store", help="list this store (built there if absent, and kept)")
    parser.add_argument("--binary", action="append",
                        help="the cebulk to run (default target/release/cebulk); give it twice "
                             "to compare two builds, their runs alternating on the same store")
    args = parser.parse_args()
    binaries = args.binary or ["target/release/cebulk"]
    with tempfile.TemporaryDirectory(dir=".") as tmp:
        if args.store:
            store = pathlib.Path(args.store)
            if not store.exists():
                built = build(binaries[0], pathlib.Path(tmp), args.events, args.lines)
                shutil.move(built, store)
        else:
            store = build(binaries[0], pathlib.Path(tmp), args.events, args.lines)
        for fmt in ("csv", "json", "ndjson"):
            times = {binary: [] for binary in binaries}
            cpus = {binary: [] for binary in binaries}
            peaks = {binary: [] for binary in binaries}
            for _ in range(args.runs):
                for binary in binaries:
                    elapsed, cpu, peak = listing(binary, store, fmt, args.output)
                    times[binary].append(elapsed)
                    cpus[binary].append(cpu)
                    peaks[binary].append(peak)
            for binary, elapsed in times.items():
                label = f" {binary}" if len(binaries) > 1 else ""
                median = statistics.median(elapsed)
                print(f"events --format {fmt:6}{label} events={args.events} lines={args.lines} "
                      f"runs={args.runs} median={median:.3f} s "
                      f"(min {min(elapsed):.3f}, max {max(elapsed):.3f}) "
                      f"{rate(args.events, median)} events/s "
                      f"{rate(args.events * args.lines, median)} lines/s "
                      f"CPU {statistics.median(cpus[binary]):.3f} s "
                      f"({rate(args.events, statistics.median(cpus[binary]))} events/CPU-s) "
                      f"peak RSS {max(peaks[binary]) / 1024:.1f} MiB", flush=True)


if __name__ == "__main__":
    main()
