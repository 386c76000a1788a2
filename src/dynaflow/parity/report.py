"""The parity report as text: counts, the parity percentage, and the first differing keys."""

from __future__ import annotations

import base64
from typing import Any

from dynaflow.parity.compare import ParityReport


def format_key(key: dict[str, Any]) -> str:
    parts = []
    for name, value in key.items():
        ((tag, inner),) = value.items()
        if isinstance(inner, (bytes, bytearray)):
            inner = base64.b64encode(inner).decode()
        parts.append(f"{name}={tag}:{inner}")
    return ", ".join(parts)


def render(report: ParityReport, *, source: str = "source", target: str = "target", seconds: float | None = None
           ) -> str:
    lines = [
        f"source           {source}",
        f"target           {target}",
        f"rows in source   {report.source_rows:>14,}",
        f"rows in target   {report.target_rows:>14,}",
        f"missing          {report.missing_count:>14,}   (in source, not in target)",
        f"extra            {report.extra_count:>14,}   (in target, not in source)",
        f"different        {report.different_count:>14,}",
        f"parity           {report.parity_percent:>14.6f} %",
    ]
    if seconds is not None:
        lines.append(f"checked in       {seconds:>14.1f} s")
    for title, keys, total in (("missing", report.missing, report.missing_count),
                               ("extra", report.extra, report.extra_count),
                               ("different", report.different, report.different_count)):
        if keys:
            lines.append(f"first {len(keys)} of {total} {title}:")
            lines.extend(f"  {format_key(k)}" for k in keys)
    return "\n".join(lines)
