"""Converts a headed TSV (no quoting, as STS-B and our sentence files are) to JSONL, CSV, Arrow IPC
file and stream, and Parquet with pyarrow: the independent writer the reader tests compare against.
Optionally times pyarrow reading each format back (--bench), as the reference for bench:data."""
import argparse, csv, json, os, time

p = argparse.ArgumentParser()
p.add_argument("--input", required=True)
p.add_argument("--out", required=True, help="output path prefix, e.g. /tmp/x/data")
p.add_argument("--row-group-size", type=int, default=1000)
p.add_argument("--no-header", action="store_true")
p.add_argument("--bench", action="store_true")
a = p.parse_args()

import pyarrow as pa, pyarrow.csv as pcsv, pyarrow.parquet as pq, pyarrow.ipc as ipc, pyarrow.json as pjson

with open(a.input, encoding="utf-8", newline="") as f:
    rows = [l.rstrip("\n").split("\t") for l in f.read().split("\n") if l != ""]
if a.no_header:
    header = [f"c{i}" for i in range(len(rows[0]))]
else:
    header, rows = rows[0], rows[1:]
cols = {h: [r[i] for r in rows] for i, h in enumerate(header)}
table = pa.table(cols)
with open(a.out + ".jsonl", "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(dict(zip(header, r)), ensure_ascii=False) + "\n")
with open(a.out + ".csv", "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
with ipc.new_file(a.out + ".arrow", table.schema) as w:
    for b in table.to_batches(max_chunksize=a.row_group_size):
        w.write_batch(b)
with ipc.new_stream(a.out + ".arrows", table.schema) as w:
    for b in table.to_batches(max_chunksize=a.row_group_size):
        w.write_batch(b)
pq.write_table(table, a.out + ".parquet", row_group_size=a.row_group_size)

if a.bench:
    readers = {
        "tsv": lambda: pcsv.read_csv(a.input, parse_options=pcsv.ParseOptions(delimiter="\t", quote_char=False)),
        "csv": lambda: pcsv.read_csv(a.out + ".csv"),
        "jsonl": lambda: pjson.read_json(a.out + ".jsonl"),
        "arrow": lambda: ipc.open_file(a.out + ".arrow").read_all(),
        "parquet": lambda: pq.read_table(a.out + ".parquet"),
    }
    out = {}
    for name, f in readers.items():
        t0 = time.perf_counter()
        t = f()
        out[name] = t.num_rows / (time.perf_counter() - t0)
    print(json.dumps({"pyarrow_rows_per_second": out, "rows": len(rows)}))
