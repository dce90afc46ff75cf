"""Helpers shared by management commands."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandError

from govhall.importing import ImportFailed


def run_import(action: Callable[[], Any]) -> Any:
    """Run an import; a failure prints every line error on stderr and exits non-zero."""
    try:
        return action()
    except ImportFailed as exc:
        raise CommandError(str(exc))
    except FileNotFoundError as exc:
        raise CommandError(f"no such file: {exc.filename}")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read the file: {exc}")


def err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
