#!/usr/bin/env python3
"""End-to-end benchmark: N purchase events with 2 products each, imported from NDJSON and
from CSV into a fresh store by the release binary; then the same CSV gzipped
(`events.csv.gz`), and as a partner would send it (`partner.csv`: semicolons, headers of its
own, day-first dates and decimal commas) read through a mapping profile (`--map`). A binary
without `--map` (an older build) runs only the first two. Prints events/s, peak RSS and the CPU
time the process used per event (medians over --runs runs; the machine is noisy, so read
ratios and medians, not single runs; on two cores, events/s cannot exceed 2 / CPU time).

    cargo build --release && python3 scripts/bench.py --events 300000 --runs 3
"""
import argparse
import gzip
import hashlib
import json
import os
import pathlib
import shutil
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


PARTNER_PROFILE = """delimiter = ";"
ignore = ["Channel"]

[columns]
"Order" = "request_unique_identifier"
"Customer" = "accounts_receivable_identifier.number"
"Shop" = "performed_by_unit_identifier.name"
"Date" = { path = "performed_on", date_format = "%d/%m/%Y %H:%M" }
"Reference" = "reference_number"
"Item 1" = "products_set.0.product_identifier.code"
"Gross 1" = { path = "products_set.0.total_amount", decimal_comma = true }
"Net 1" = { path = "products_set.0.net_amount", decimal_comma = true }
"VAT 1" = { path = "products_set.0.vat_amount", decimal_comma = true }
"Item 2" = "products_set.1.product_identifier.code"
"Quantity 2" = "products_set.1.quantity"
"Gross 2" = { path = "products_set.1.total_amount", decimal_comma = true }
"Net 2" = { path = "products_set.1.net_amount", decimal_comma = true }
"VAT 2" = { path = "products_set.1.vat_amount", decimal_comma = true }

[constants]
"classification_identifier.name" = "Purchase 1"
"""

PARTNER_HEADER = ("Order;Customer;Shop;Date;Reference;Item 1;Gross 1;Net 1;VAT 1;"
                  "Item 2;Quantity 2;Gross 2;Net 2;VAT 2;Channel\n")


def partner_row(i, random_rui=False):
    return (f"{rui(i, random_rui)};ACR{i % ACCOUNTS:010d};Unit {i % UNITS};22/06/2016 15:00;RF{i};"
            f"P{i % PRODUCTS:04d};60;50;10;P{(i + 7) % PRODUCTS:04d};2;180,5;160,25;20,25;web\n")


def generate(directory, n, random_rui=False):
    (directory / "reference.json").write_text(json.dumps(reference()))
    with open(directory / "events.ndjson", "w") as out:
        for i in range(n):
            out.write(json.dumps(event(i, random_rui), separators=(",", ":")) + "\n")
    with open(directory / "events.csv", "w") as out:
        out.write(CSV_HEADER)
        for i in range(n):
            out.write(csv_row(i, random_rui))
    with open(directory / "events.csv", "rb") as plain, gzip.open(directory / "events.csv.gz", "wb", 6) as out:
        shutil.copyfileobj(plain, out)
    (directory / "partner.toml").write_text(PARTNER_PROFILE)
    with open(directory / "partner.csv", "w") as out:
        out.write(PARTNER_HEADER)
        for i in range(n):
            out.write(partner_row(i, random_rui))


def run(binary, directory, source, jobs, dry_run=False):
    store = directory / "bench.db"
    for suffix in ("", "-journal", "-wal", "-shm"):
        pathlib.Path(str(store) + suffix).unlink(missing_ok=True)
    subprocess.run([binary, "--store", str(store), "reference", "load", str(directory / "reference.json")],
                   check=True, stderr=subprocess.DEVNULL)
    command = [binary, "--store", str(store), "import", "--quiet", "--kind", "purchases",
               "--report", str(directory / "report.json"), str(directory / source)]
    if source == "partner.csv":
        command += ["--map", str(directory / "partner.toml")]
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
        mapping = {binary: "--map" in subprocess.run([binary, "import", "--help"], capture_output=True,
                                                      text=True).stdout for binary in binaries}
        # Every run times each (source, binary) pair once, so that the machine's drift
        # weighs on all of them alike and their ratios are fair.
        sources = ("events.ndjson", "events.csv", "events.csv.gz", "partner.csv")
        pairs = [(source, binary) for source in sources for binary in binaries
                 if mapping[binary] or source in ("events.ndjson", "events.csv")]
        results = {pair: ([], [], []) for pair in pairs}
        for _ in range(args.runs):
            for source, binary in pairs:
                elapsed, peak, cpu = run(binary, directory, source, args.jobs, args.dry_run)
                rates, peaks, cpus = results[(source, binary)]
                rates.append(args.events / elapsed)
                peaks.append(peak)
                cpus.append(cpu * 1e6 / args.events)
        medians = {pair: statistics.median(rates) for pair, (rates, _, _) in results.items()}
        for (source, binary), (rates, peaks, cpus) in results.items():
            label = f" {binary}" if len(binaries) > 1 else ""
            print(f"{source:14}{label} events={args.events} runs={args.runs}"
                  f"{' dry-run' if args.dry_run else ''} "
                  f"median={statistics.median(rates):,.0f} events/s "
                  f"(min {min(rates):,.0f}, max {max(rates):,.0f}) "
                  f"peak RSS median={statistics.median(peaks):.1f} MiB (max {max(peaks):.1f}) "
                  f"CPU median={statistics.median(cpus):.1f} µs/event (user+sys, all threads)")
        for binary in binaries:
            plain = medians.get(("events.csv", binary))
            for source in ("events.csv.gz", "partner.csv"):
                if plain and (source, binary) in medians:
                    print(f"{source} / events.csv{f' {binary}' if len(binaries) > 1 else ''}: "
                          f"{medians[(source, binary)] / plain:.2f}x")
        if len(binaries) == 2:
            for source in ("events.ndjson", "events.csv"):
                print(f"{source} {binaries[1]} / {binaries[0]}: "
                      f"{medians[(source, binaries[1])] / medians[(source, binaries[0])]:.2f}x")


if __name__ == "__main__":
    main()
