"""The parts of the NASLib bridge that do not need NASLib: metric mapping and feature detection."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
import naslib_bridge  # noqa: E402

from eo_naslib.naslib_compat import Metric  # noqa: E402

NaslibMetric = Enum("Metric", "RAW ALL TRAIN_ACCURACY VAL_ACCURACY TEST_ACCURACY TRAIN_LOSS VAL_LOSS TEST_LOSS TRAIN_TIME VAL_TIME TEST_TIME FLOPS LATENCY PARAMETERS EPOCH HP")


def test_metrics_map_by_name_both_ways():
    for member in NaslibMetric:
        ours = naslib_bridge.from_naslib_metric(member)
        assert ours.value == member.value
        assert naslib_bridge.to_naslib_metric(ours, NaslibMetric) is member
    with pytest.raises(KeyError, match="eo_naslib extension"):
        naslib_bridge.to_naslib_metric(Metric.VAL_ACCURACY_MACRO, NaslibMetric)


class _G1Meta:
    def adapt_search_space(self, search_space, scope=None):
        pass


class _G2Meta:
    def adapt_search_space(self, search_space, dataset, scope=None):
        pass


def test_feature_detection_tells_generations_apart():
    g1 = naslib_bridge.detect_features(_G1Meta, SimpleNamespace(), has_encodings_module=False)
    assert g1.generation == 1 and not g1.adapt_takes_dataset and not g1.has_supported_search_spaces
    g2 = naslib_bridge.detect_features(_G2Meta, SimpleNamespace(supported_search_spaces={}), has_encodings_module=True)
    assert g2.generation == 2 and g2.adapt_takes_dataset and g2.has_supported_search_spaces
    assert naslib_bridge.detect_features(_G1Meta, None, has_encodings_module=True).generation == 2


def test_register_without_naslib_does_nothing_and_says_so(capsys):
    if naslib_bridge.import_naslib() is not None:
        pytest.skip("NASLib is installed here")
    assert naslib_bridge.register() == {}
    assert "NASLib is not importable" in capsys.readouterr().out


def test_bridge_space_accepts_foreign_metric_enums(space):
    ss = naslib_bridge.EONasBench101SearchSpace()
    assert ss.clone().space_name == "eo_nasbench101"
    assert naslib_bridge.from_naslib_metric(NaslibMetric.LATENCY) is Metric.LATENCY
