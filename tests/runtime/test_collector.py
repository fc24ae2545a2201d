import gc

import pytest

from runtime.collector import THRESHOLDS, collector_tune


@pytest.fixture
def collector_restored():
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_collector_tune_freezes_what_is_loaded_and_collects_less_often(collector_restored):
    collector_tune()

    assert gc.get_threshold() == THRESHOLDS
    assert THRESHOLDS[0] > 700  # Python's default young generation
    assert gc.get_freeze_count() > 1_000  # modules, settings and schemas loaded so far
