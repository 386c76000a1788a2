"""The switch interval an ingester runs under is applied once and restored by the last user."""

from __future__ import annotations

import sys

from dynaflow.pipelines.switching import SWITCH_INTERVAL, quick_handoff


# Why: the setting is process-wide, so nested or concurrent ingesters must not restore it early,
# and whatever runs after the last one must see the interval it had before.
def test_interval_applies_while_any_user_runs_and_is_restored_after_the_last() -> None:
    before = sys.getswitchinterval()
    with quick_handoff():
        assert sys.getswitchinterval() == min(before, SWITCH_INTERVAL)
        with quick_handoff():
            pass
        assert sys.getswitchinterval() == min(before, SWITCH_INTERVAL)
    assert sys.getswitchinterval() == before


# Why: a process that chose a shorter interval itself keeps it.
def test_a_shorter_interval_is_kept() -> None:
    before = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL / 5)
    shorter = sys.getswitchinterval()  # as the interpreter keeps it (whole microseconds)
    try:
        with quick_handoff():
            assert sys.getswitchinterval() == shorter
    finally:
        sys.setswitchinterval(before)
