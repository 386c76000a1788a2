"""DescribeLimits input: no members."""

from __future__ import annotations

from typing import Final

from dynaflow.engine.shapes.common import empty

INPUT: Final = empty("DescribeLimitsInput")
