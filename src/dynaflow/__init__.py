"""dynaflow: a self-hostable DynamoDB-style data platform."""

from __future__ import annotations

__all__: list[str] = []
