#!/usr/bin/env python3
"""HTTP benchmark of `cebulk serve`: wrk (with a Lua body) posts 1000-event purchase
documents (2 products each, every request's identifiers new) from --clients connections to
the release binary, for --seconds. Prints events/s, requests/s, p50/p99
latency and the server's RSS (peak, and at each quarter of the run), then `cebulk import`
of the same number of the same events from NDJSON, in the same run, and the ratio.

    apt-get install -y wrk
    cargo build --release && python3 scripts/bench_serve.py --seconds 30
"""
import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import bench  # noqa: E402  (the import benchmark's events and reference data)

PER_REQUEST = 1000
PASSWORD = "bench password"

LUA = r"""
local pieces = {}
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  local file = io.open(args[1], "rb")
  local text = file:read("*a")
  file:close()
  local start = 1
  while true do
    local i, j = string.find(text, "@@", start, true)
    if not i then
      table.insert(pieces, string.sub(text, start))
      break
    end
    table.insert(pieces, string.sub(text, start, i - 1))
    start = j + 1
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, table.concat(pieces, "T" .. tid .. "R" .. counter))
end
"""


def post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def rss_mib(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def serve(binary, directory, args):
    store = directory / "serve.db"
    subprocess.run([binary, "--store", store, "reference", "load", directory / "reference.json"],
                   check=True, stderr=subprocess.DEVNULL)
    subprocess.run([binary, "--store", store, "user", "add", "bench", "--organisation", "Bench"],
                   input=PASSWORD + "\n", text=True, check=True, stderr=subprocess.DEVNULL)
    log = open(directory / "serve.log", "w+")
    server = subprocess.Popen([binary, "--store", store, "serve", "--listen", "127.0.0.1:0"],
                              stderr=log)
    try:
        base = None
        while base is None:
            log.seek(0)
            found = re.search(r"listening on (http://\S+)", log.read())
            if found:
                base = found.group(1)
            elif server.poll() is not None:
                raise SystemExit("cebulk serve ended before it listened")
            else:
                time.sleep(0.05)
        token = post(f"{base}/authentication/token",
                     {"username": "bench", "password": PASSWORD, "organisation": "Bench"})["data"]["token"]
        events = []
        for i in range(PER_REQUEST):
            event = bench.event(i)
            event["request_unique_identifier"] = f"@@-{i}"
            event["reference_number"] = f"RF@@-{i}"
            events.append(event)
        document = {"token": token, "purchase_customer_events_set": events}
        (directory / "document.json").write_text(json.dumps(document, separators=(",", ":")))
        (directory / "body.lua").write_text(LUA)
        samples = []
        sampling = threading.Event()

        def sample():
            while not sampling.wait(0.25):
                samples.append(rss_mib(server.pid, "VmRSS"))

        sampler = threading.Thread(target=sample)
        sampler.start()
        wrk = subprocess.run(["wrk", "-t", str(args.threads), "-c", str(args.clients), "-d", f"{args.seconds}s",
                              "--timeout", "60s", "--latency", "-s", directory / "body.lua",
                              f"{base}/customer_events/bulk/purchases/create", "--",
                              directory / "document.json"],
                             capture_output=True, text=True, check=True)
        sampling.set()
        sampler.join()
        peak = rss_mib(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait()
    out = wrk.stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk saw errors:\n{out}")
    done = int(re.search(r"(\d+) requests in", out).group(1))
    elapsed = float(re.search(r"requests in ([\d.]+)s", out).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    stored = subprocess.run(["sqlite3", store, "SELECT count(*) FROM events"], capture_output=True,
                            text=True, check=True).stdout.strip()
    # The requests in flight when wrk stops are committed too, unanswered to it.
    if int(stored) < done * PER_REQUEST:
        raise SystemExit(f"{done} requests answered but only {stored} events stored")
    quarters = [samples[min(len(samples) - 1, len(samples) * q // 4)] for q in (1, 2, 3, 4)] if samples else []
    return done, elapsed, latency, peak, quarters


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=30, help="how long wrk posts")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads")
    parser.add_argument("--binary", default="target/release/cebulk")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=".") as tmp:
        directory = pathlib.Path(tmp)
        (directory / "reference.json").write_text(json.dumps(bench.reference()))
        done, elapsed, latency, peak, quarters = serve(args.binary, directory, args)
        events = done * PER_REQUEST
        http_rate = events / elapsed
        print(f"http   events={events:,} requests={done:,} clients={args.clients} "
              f"{http_rate:,.0f} events/s {done / elapsed:,.1f} requests/s "
              f"p50={latency.get('50')} p99={latency.get('99')} "
              f"server peak RSS={peak:.1f} MiB (RSS at each quarter: "
              f"{', '.join(f'{q:.1f}' for q in quarters)} MiB)")
        with open(directory / "events.ndjson", "w") as out:
            for i in range(events):
                out.write(json.dumps(bench.event(i), separators=(",", ":")) + "\n")
        elapsed, cli_peak, _ = bench.run(args.binary, directory, "events.ndjson", 0)
        cli_rate = events / elapsed
        print(f"import events={events:,} (NDJSON, the same events) {cli_rate:,.0f} events/s "
              f"peak RSS={cli_peak:.1f} MiB")
        print(f"http / import = {http_rate / cli_rate:.2f}")


if __name__ == "__main__":
    main()
