"""Plain-text tables for people reading a terminal."""

from __future__ import annotations

from collections.abc import Sequence


def render(headers: Sequence[str], rows: Sequence[Sequence[str]], max_width: int = 60) -> str:
    """Columns padded to their widest cell (cut at `max_width` with an ellipsis)."""

    def cut(text: str) -> str:
        text = " ".join(str(text).split())
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    cells = [[cut(h) for h in headers], *[[cut(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
