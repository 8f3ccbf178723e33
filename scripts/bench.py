#!/usr/bin/env python3
"""End-to-end benchmark: N purchase events with 2 products each, imported from NDJSON and
from CSV into a fresh store by the release binary. Prints events/s, peak RSS and the CPU
time the process used per event (medians over --runs runs; the machine is noisy, so read
ratios and medians, not single runs; on two cores, events/s cannot exceed 2 / CPU time).

    cargo build --release && python3 scripts/bench.py --events 300000 --runs 3
"""
import argparse
import hashlib
import json
import os
import pathlib
import statistics
import subprocess
import tempfile
import time

ACCOUNTS = 1000
PRODUCTS = 50
UNITS = 10


def reference():
    return {
        "currencies": [{"code": "EUR"}],
        "units": [{"name": f"Unit {u}", "currency": "EUR"} for u in range(UNITS)],
        "accounts_receivable": [{"number": f"ACR{a:010d}", "name": f"Account {a}"} for a in range(ACCOUNTS)],
        "classifications": [{"name": "Purchase 1", "type": "purchases"}],
        "products": [{"code": f"P{p:04d}"} for p in range(PRODUCTS)],
    }


def rui(i, random_rui):
    # --random-rui: identifiers in no order (as UUIDs from a partner system would be), which
    # make every batch touch pages all over the store's index on them.
    return hashlib.md5(str(i).encode()).hexdigest() if random_rui else str(i)


def event(i, random_rui=False):
    return {
        "request_unique_identifier": rui(i, random_rui),
        "accounts_receivable_identifier": {"number": f"ACR{i % ACCOUNTS:010d}"},
        "classification_identifier": {"name": "Purchase 1"},
        "performed_by_unit_identifier": {"name": f"Unit {i % UNITS}"},
        "performed_on": "2016-06-22T15:00:00",
        "reference_number": f"RF{i}",
        "products_set": [
            {"product_identifier": {"code": f"P{i % PRODUCTS:04d}"}, "total_amount": 60, "net_amount": 50, "vat_amount": 10},
            {"product_identifier": {"code": f"P{(i + 7) % PRODUCTS:04d}"}, "quantity": 2, "total_amount": 180.5, "net_amount": 160.25, "vat_amount": 20.25},
        ],
    }


CSV_HEADER = ("request_unique_identifier,accounts_receivable_identifier.number,classification_identifier.name,"
              "performed_by_unit_identifier.name,performed_on,reference_number,"
              "products_set.0.product_identifier.code,products_set.0.total_amount,products_set.0.net_amount,products_set.0.vat_amount,"
              "products_set.1.product_identifier.code,products_set.1.quantity,products_set.1.total_amount,products_set.1.net_amount,products_set.1.vat_amount\n")


def csv_row(i, random_rui=False):
    return (f"{rui(i, random_rui)},ACR{i % ACCOUNTS:010d},Purchase 1,Unit {i % UNITS},2016-06-22T15:00:00,RF{i},"
            f"P{i % PRODUCTS:04d},60,50,10,P{(i + 7) % PRODUCTS:04d},2,180.5,160.25,20.25\n")


def generate(directory, n, random_rui=False):
    (directory / "reference.json").write_text(json.dumps(reference()))
    with open(directory / "events.ndjson", "w") as out:
        for i in range(n):
            out.write(json.dumps(event(i, random_rui), separators=(",", ":")) + "\n")
    with open(directory / "events.csv", "w") as out:
        out.write(CSV_HEADER)
        for i in range(n):
            out.write(csv_row(i, random_rui))


def run(binary, directory, source, jobs, dry_run=False):
    store = directory / "bench.db"
    for suffix in ("", "-journal", "-wal", "-shm"):
        pathlib.Path(str(store) + suffix).unlink(missing_ok=True)
    subprocess.run([binary, "--store", str(store), "reference", "load", str(directory / "reference.json")],
                   check=True, stderr=subprocess.DEVNULL)
    command = [binary, "--store", str(store), "import", "--quiet", "--kind", "purchases",
               "--report", str(directory / "report.json"), str(directory / source)]
    if jobs:
        command += ["--jobs", str(jobs)]
    if dry_run:
        command.append("--dry-run")
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(command)} exited {code}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--binary", action="append",
                        help="the cebulk to run (default target/release/cebulk); give it twice "
                             "to compare two builds, their runs alternating on the same files")
    parser.add_argument("--random-rui", action="store_true",
                        help="request unique identifiers in no order instead of 0, 1, 2, ...")
    parser.add_argument("--dry-run", action="store_true",
                        help="time `import --dry-run` (into a store holding only the reference data)")
    args = parser.parse_args()
    binaries = args.binary or ["target/release/cebulk"]
    with tempfile.TemporaryDirectory(dir=".") as tmp:
        directory = pathlib.Path(tmp)
        generate(directory, args.events, args.random_rui)
        for source in ("events.ndjson", "events.csv"):
            results = {binary: ([], [], []) for binary in binaries}
            for _ in range(args.runs):
                for binary in binaries:
                    elapsed, peak, cpu = run(binary, directory, source, args.jobs, args.dry_run)
                    rates, peaks, cpus = results[binary]
                    rates.append(args.events / elapsed)
                    peaks.append(peak)
                    cpus.append(cpu * 1e6 / args.events)
            for binary, (rates, peaks, cpus) in results.items():
                label = f" {binary}" if len(binaries) > 1 else ""
                print(f"{source:14}{label} events={args.events} runs={args.runs}"
                      f"{' dry-run' if args.dry_run else ''} "
                      f"median={statistics.median(rates):,.0f} events/s "
                      f"(min {min(rates):,.0f}, max {max(rates):,.0f}) "
                      f"peak RSS median={statistics.median(peaks):.1f} MiB (max {max(peaks):.1f}) "
                      f"CPU median={statistics.median(cpus):.1f} µs/event (user+sys, all threads)")

if __name__ == "__main__":
    main()
