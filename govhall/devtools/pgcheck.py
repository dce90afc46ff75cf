"""Exit 0 when the PostgreSQL server named by the URL answers, 1 otherwise (used by the Makefile)."""

from __future__ import annotations

import sys


def main() -> int:
    import psycopg

    try:
        with psycopg.connect(sys.argv[1], connect_timeout=3) as conn:
            conn.execute("select 1")
    except Exception as exc:  # any failure means "not available"
        print(f"pgcheck: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
