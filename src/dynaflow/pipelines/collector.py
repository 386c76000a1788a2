"""Garbage-collector settings while an ingester runs: fewer, cheaper collections.

A running ingester keeps a few micro-batches alive (records, items, mutations: several container
objects per record) until they are written, and allocates several more per record. CPython's
default collector settings (a young collection every 700 net allocations, a full one every 100
young ones once a quarter of the old objects are new) then run full collections every few thousand
records, each walking every object of the process: the modules, the engine's catalog, and the
batches in flight. Measured on the ingest benchmark, that cost more per record than mapping it.

None of that work finds anything: ingest garbage is freed by reference counting, it has no cycles.
So, while an ingester runs:

* what is alive when it starts (modules, settings, the engine) is **frozen** (``gc.freeze``): it
  lives as long as the process and no collection walks it again — as the wire server does at
  startup;
* the **young generation** is collected every :data:`YOUNG_THRESHOLD` net allocations instead of
  700, so the objects of a batch are usually freed before a collection sees them; the older
  generations keep their default ratios, so a full collection comes after ~100 young ones
  (~5 M allocations) instead of ~70 k, and walks only what was created since the freeze.

On the ingest benchmark the collector's time per record went from 13-26 µs to 5-7 µs with a
threshold of 10,000. The CDC runtime (which runs under the same settings) decodes pages of up to
1,000 stream records, ~40 containers each: at 10,000 a page crossed the threshold several times,
every young collection walked the page being built (~2 ms each) and promoted it, and the middle
generation's collections then walked the promoted pages (~40 ms each) — 16 % of a replication
drain's time. At 50,000 the same drain of 100,000 changes ran 3 young collections instead of 200
(0.03 s of collector time instead of 1.1 s), and its CPU per change fell 11-14 % (three
alternating pairs); ingest measured the same as before.

Once ingest got faster the threshold moved again, to 250,000. Two micro-batches of 5,000 records
in flight hold ~150,000 containers (records, parsed documents, items, mutations, requests), so at
50,000 young collections ran every batch and walked those live objects: a drain of 200,000
records spent 0.43-0.54 s in the collector (~2.5 µs a record, ~8 % of its CPU). At 250,000 the
same drain spent 0.02-0.03 s there, and ran 37.6k and 39.4k records/s against 31.8k and 36.3k
(two alternating pairs).

Cyclic garbage is still collected, later. The settings are process-wide (``shared_setting.py``):
they are applied by the first running ingester and restored (and the frozen objects put back in the
oldest generation) when the last one stops, so several ingesters in one process, and code that runs after them, see the
defaults they started with. Rejected: disabling the collector while ingesting (cycles made by other
code in the process would never be freed), and tuning only in the CLI entry points (every embedder
of :class:`~dynaflow.pipelines.runtime.Ingester` would pay the default cost, and the benchmark would
measure something other than what runs).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from contextlib import AbstractContextManager

from dynaflow.pipelines.shared_setting import SharedSetting

__all__ = ["YOUNG_THRESHOLD", "tuned_collector"]

#: Net allocations between young collections while an ingester runs (CPython's default is 700).
YOUNG_THRESHOLD = 250_000


def _apply() -> Callable[[], None]:
    saved = gc.get_threshold()
    young, middle, old = saved
    gc.set_threshold(max(young, YOUNG_THRESHOLD), middle, old)

    def undo() -> None:
        gc.set_threshold(*saved)
        gc.unfreeze()
    return undo


_SETTING = SharedSetting(_apply, each=gc.freeze)


def tuned_collector() -> AbstractContextManager[None]:
    """Apply the ingest collector settings (see the module docstring) until the block exits."""
    return _SETTING.held()
