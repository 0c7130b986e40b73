"""Exports: Abri's xlsx export against bare xlsxwriter writing the same cells and pandas to_excel.

    python bench/bench_export.py [--sizes 10000,100000]

For each size the cases are loaded into SecantusDB (realistic French and English data with
subform rows), then each variant runs in its own process so its peak memory (max RSS) is its own:
- abri:   the export job's writer (records streamed from MongoDB in batches, labels, translated statuses, dates,
          print setup, xlsxwriter constant_memory)
- bare:   the simplest code writing the same cells: the same stream, the same RowBuilder cells, plain xlsxwriter calls
- pandas: the same sheets as DataFrames, DataFrame.to_excel (xlsxwriter engine)
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone

from common import header, insert_all, make_app, secantus
from generate import case_data


def load(uri: str, count: int) -> None:
    """Create one case through the API, then `count - 1` more of the same shape with insert_many."""
    from server.storage import get_db

    app, client = make_app(uri)
    rng = random.Random(11)
    first = client.post("/api/v1/cases", json={"data": case_data(rng)}).get_json()["data"]["id"]
    with app.app_context():
        db = get_db()
        template = db.case.find_one({"_id": first})
        now = datetime.now(timezone.utc)

        def documents():
            for index in range(count - 1):
                data = case_data(rng)
                for subform in ("family_details_section", "services_section"):
                    for row in data.get(subform, []):
                        row["unique_id"] = str(uuid.uuid4())
                yield dict(copy.deepcopy(template), _id=str(uuid.uuid4()), short_id=format(index, "07x"),
                           case_id_display=format(index, "07x"), data=data,
                           last_updated_at=now - timedelta(seconds=index))

        insert_all(db.case, documents())


def peak_rss_mb() -> float:
    """Peak resident memory of this process since it started (VmHWM; ru_maxrss would count the forking parent)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_variant(variant: str, uri: str, path: str) -> dict:
    """Run one variant in this process; return its time and peak memory."""
    from flask_babel import force_locale

    from server.app import create_app
    from server.export.cells import DATE_NUMBER_FORMAT, DATETIME_NUMBER_FORMAT
    from server.export.envelope import envelope_labels
    from server.export.jobs import _labels
    from server.export.layout import build_layout
    from server.export.rows import RowBuilder
    from server.export.writers import XLSX_OPTIONS, PrintTexts, write_xlsx
    from server.metadata.versions import published_configuration
    from server.storage import exports as store, get_db

    app = create_app({"MONGO_URI": uri, "MONGO_DB_NAME": "bench"})
    start = time.perf_counter()
    with app.app_context(), force_locale("fr"):
        db, config = get_db(), published_configuration(get_db())
        labels = {key: str(value) for key, value in _labels().items()}
        sheets = build_layout(config, "case", None, None, None, "fr", "en", labels)
        builder = RowBuilder(sheets, config, "fr", "en", False, ("Oui", "Non"), "case_id_display",
                             envelope_labels(config, "case", "fr", "en", False))
        records = store.stream_records(db, "case", {"record_state": True})
        if variant == "abri":
            texts = PrintTexts("Export des dossiers", "2024-05-31T13:30:00Z", "Exporté par bench", "Page &P sur &N")
            count = write_xlsx(path, sheets, builder, records, [("Exporté par", "bench")], labels["about"],
                               lambda n: None, texts)
        elif variant == "bare":
            import xlsxwriter
            workbook = xlsxwriter.Workbook(path, XLSX_OPTIONS)
            date_format = workbook.add_format({"num_format": DATE_NUMBER_FORMAT})
            datetime_format = workbook.add_format({"num_format": DATETIME_NUMBER_FORMAT})
            worksheets = [workbook.add_worksheet(s.title[:31]) for s in sheets]
            for worksheet, sheet in zip(worksheets, sheets):
                worksheet.write_row(0, 0, [c.title for c in sheet.columns])
            rows = [1] * len(sheets)
            count = 0
            for record in records:
                for index, values in builder.rows(record):
                    for column, value in enumerate(values):
                        if value is None:
                            continue
                        if isinstance(value, datetime):
                            worksheets[index].write_datetime(rows[index], column, value, datetime_format)
                        elif isinstance(value, date):
                            worksheets[index].write_datetime(rows[index], column, value, date_format)
                        else:
                            worksheets[index].write(rows[index], column, value)
                    rows[index] += 1
                count += 1
            workbook.close()
        else:
            import pandas
            tables = [[] for _ in sheets]
            count = 0
            for record in records:
                for index, values in builder.rows(record):
                    tables[index].append(values)
                count += 1
            with pandas.ExcelWriter(path, engine="xlsxwriter") as writer:
                for sheet, table in zip(sheets, tables):
                    frame = pandas.DataFrame(table, columns=[c.title for c in sheet.columns])
                    frame.to_excel(writer, sheet_name=sheet.title[:31], index=False)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": peak_rss_mb(),
            "records": count, "bytes": os.path.getsize(path)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--variant")
    parser.add_argument("--uri")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args.variant, args.uri, args.out)))
        return
    header(f"python bench/bench_export.py --sizes {args.sizes}")
    results = {}
    for size in map(int, args.sizes.split(",")):
        with secantus() as uri, tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            load(uri, size)
            print(f"\n## {size:,} cases (loaded in {time.perf_counter() - started:.0f} s)")
            print(f"{'variant':8} {'seconds':>8} {'peak MB':>8} {'file MB':>8}")
            for variant in ("abri", "bare", "pandas"):
                done = subprocess.run([sys.executable, __file__, "--variant", variant, "--uri", uri,
                                       "--out", os.path.join(folder, f"{variant}.xlsx")],
                                      capture_output=True, text=True)
                if done.returncode != 0:  # say why, rather than a bare CalledProcessError
                    sys.exit(f"variant {variant} failed:\n{done.stderr[-3000:]}")
                result = json.loads(done.stdout.strip().splitlines()[-1])
                results[(size, variant)] = result
                print(f"{variant:8} {result['seconds']:8.1f} {result['peak_mb']:8.0f} {result['bytes'] / 1e6:8.1f}")
            abri, bare, pandas = (results[(size, v)] for v in ("abri", "bare", "pandas"))
            print(f"time: abri/bare {abri['seconds'] / bare['seconds']:.2f}x, abri/pandas {abri['seconds'] / pandas['seconds']:.2f}x; "
                  f"peak memory: abri/pandas {abri['peak_mb'] / pandas['peak_mb']:.2f}x")
    sizes = sorted({size for size, _ in results})
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        print(f"\nabri peak memory {results[(small, 'abri')]['peak_mb']:.0f} MB at {small:,} cases, "
              f"{results[(large, 'abri')]['peak_mb']:.0f} MB at {large:,} "
              f"(pandas: {results[(small, 'pandas')]['peak_mb']:.0f} MB -> {results[(large, 'pandas')]['peak_mb']:.0f} MB)")


if __name__ == "__main__":
    main()
