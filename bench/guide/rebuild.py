"""Index rebuild after a catalogue import, through the database, at 5,000 matters.

    .venv/bin/python bench/guide/rebuild.py [--size 5000]

A throw-away SQLite file: migrate, import SIZE synthetic matters with `govhall catalog import`
(the real command, one JSONL file), then time what a running server does when it notices the
catalogue changed: `catalogue_records()` (read every matter and situation) and `SearchIndex(...)`.
Prints wall and CPU seconds (on a shared machine the CPU time is what the rebuild costs).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main(argv: list[str]) -> int:
    size = int(argv[argv.index("--size") + 1]) if "--size" in argv else 5000
    tmp = tempfile.mkdtemp(prefix="guide-rebuild-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/db.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govhall.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from synthetic import synthetic_catalog

    from govhall.guide import services
    from govhall.guide.text import init_libraries

    call_command("migrate", verbosity=0)
    init_libraries()  # process start-up, not rebuild time
    services.current_index()  # empty catalogue
    path = Path(tmp) / "catalog.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in synthetic_catalog(size)) + "\n")
    started = time.perf_counter()
    call_command("catalog", "import", str(path), verbosity=0)
    imported = time.perf_counter() - started
    services.CHECK_SECONDS = 0.0
    wall, cpu = time.perf_counter(), time.process_time()
    records = services.catalogue_records()
    read_wall, read_cpu = time.perf_counter() - wall, time.process_time() - cpu
    services.reset_index()
    wall, cpu = time.perf_counter(), time.process_time()
    index = services.current_index()
    total_wall, total_cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert index.n == len(records) == size, (index.n, len(records))
    with open("/proc/loadavg") as handle:
        load = handle.read().split()[0]
    print(f"{size} matters imported in {imported:.2f} s (load average {load})")
    print(f"read catalogue_records(): {read_wall:.2f} s wall, {read_cpu:.2f} s CPU")
    print(f"rebuild (read + build):   {total_wall:.2f} s wall, {total_cpu:.2f} s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
