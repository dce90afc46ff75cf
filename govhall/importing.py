"""What every all-or-nothing import shares: errors that name the line, field and reason."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LineError:
    line: int | None
    reason: str
    field: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        return f"{where}{f', field {self.field!r}' if self.field else ''}: {self.reason}"


@dataclass
class ImportFailed(Exception):
    """Raised before anything is written (or inside the transaction, which then rolls back)."""

    errors: list[LineError] = field(default_factory=list)

    def __str__(self) -> str:
        shown = self.errors[:20]
        more = f"\n… and {len(self.errors) - len(shown)} more" if len(self.errors) > len(shown) else ""
        return "import failed, nothing was changed:\n" + "\n".join(f"  {e}" for e in shown) + more


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    warnings: list[str] = field(default_factory=list)

    def summary(self, noun: str) -> str:
        text = f"{noun}: {self.created} created, {self.updated} updated"
        if self.deleted:
            text += f", {self.deleted} deleted"
        return text
