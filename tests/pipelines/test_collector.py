"""The collector settings an ingester runs under are applied once and restored by the last user."""

from __future__ import annotations

import gc

from dynaflow.pipelines.collector import YOUNG_THRESHOLD, tuned_collector


# Why: the settings are process-wide, so nested or concurrent ingesters must not restore them early,
# and whatever runs after the last one must see the thresholds it had before, with nothing frozen.
def test_settings_apply_while_any_user_runs_and_are_restored_after_the_last() -> None:
    before = gc.get_threshold()
    with tuned_collector():
        assert gc.get_threshold()[0] == max(before[0], YOUNG_THRESHOLD)
        assert gc.get_freeze_count() > 0
        with tuned_collector():
            pass
        assert gc.get_threshold()[0] == max(before[0], YOUNG_THRESHOLD)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
