#!/usr/bin/env python3
"""Writes the NDJSON and CSV twins of fixtures/requests/*.json and the CSV directory twin
of fixtures/reference.json. Run from the repository root after changing a JSON fixture;
the outputs are committed (tests do not run this)."""
import csv
import json
import pathlib

root = pathlib.Path("fixtures")


def flatten(value, prefix, out):
    if isinstance(value, dict):
        for key, inner in value.items():
            flatten(inner, f"{prefix}.{key}" if prefix else key, out)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            flatten(inner, f"{prefix}.{i}", out)
    else:
        out[prefix] = value


def cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


for path in sorted((root / "requests").glob("*.json")):
    document = json.loads(path.read_text())
    key = next(k for k in document if k.endswith("_customer_events_set"))
    events = document[key]
    path.with_suffix(".ndjson").write_text("".join(json.dumps(e) + "\n" for e in events))
    set_key = next((k for k in ("products_set", "measured_key_performance_indicators_set")
                    if any(k in e for e in events)), None)
    rows = []
    for event in events:
        head = {k: v for k, v in event.items() if k != set_key}
        flat = {}
        flatten(head, "", flat)
        items = event.get(set_key) or [None]
        for i, item in enumerate(items):
            row = dict(flat) if i == 0 else {"request_unique_identifier": flat["request_unique_identifier"]}
            if item is not None:
                line = {}
                flatten(item, set_key, line)
                row.update(line)
            rows.append(row)
    columns = []
    for row in rows:
        for column in row:
            if column not in columns:
                columns.append(column)
    with path.with_suffix(".csv").open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([cell(row.get(c)) for c in columns])

reference = json.loads((root / "reference.json").read_text())
for entity, records in reference.items():
    columns = []
    for record in records:
        for column in record:
            if column not in columns:
                columns.append(column)
    with (root / "reference" / f"{entity}.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for record in records:
            writer.writerow(["|".join(v) if isinstance(v, list) else cell(v)
                             for v in (record.get(c) for c in columns)])
