"""The parts of the NASLib bridge that do not need NASLib: metric mapping and feature detection."""

from __future__ import annotations

import math
import sys
from enum import Enum
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
import naslib_bridge  # noqa: E402

from eo_naslib import Cell  # noqa: E402
from eo_naslib.errors import ConfigError  # noqa: E402
from eo_naslib.naslib_compat import Metric, nb101_api  # noqa: E402
from eo_naslib.naslib_compat.answers import AnswerTally  # noqa: E402
from eo_naslib.testing import SyntheticBenchmark  # noqa: E402

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


def test_register_without_naslib_raises_one_clear_message():
    if naslib_bridge.unavailable_reason() is None:
        pytest.skip("NASLib is installed here")
    with pytest.raises(ImportError, match="NASLib is not importable here .* install NASLib from source") as info:
        naslib_bridge.register()
    assert isinstance(info.value, naslib_bridge.NaslibUnavailable) and "\n" not in str(info.value)


def test_bridge_space_accepts_foreign_metric_enums(space):
    ss = naslib_bridge.EONasBench101SearchSpace()
    assert ss.clone().space_name == "eo_nasbench101"
    assert naslib_bridge.from_naslib_metric(NaslibMetric.LATENCY) is Metric.LATENCY


def test_measured_only_space_draws_mutates_and_steps_among_measured_cells(space):
    benchmark = SyntheticBenchmark(space, measured_share=0.002)
    api = {"benchmark": benchmark, "space": space, "dataset": "cifar10", "macro": False}
    ss = naslib_bridge.EONasBench101SearchSpace()
    ss.measured_only = True
    np.random.seed(3)
    for _ in range(5):
        ss.sample_random_architecture(dataset_api=api)
        assert benchmark.is_measured(ss.get_hash(), "val_accuracy")
        child = ss.clone()
        child.mutate(ss, dataset_api=api)
        assert child.measured_only and benchmark.is_measured(child.get_hash(), "val_accuracy")
        assert all(benchmark.is_measured(n.arch.get_hash(), "val_accuracy") for n in ss.get_nbhd(dataset_api=api))


@pytest.fixture()
def synthetic_api(space):
    benchmark = SyntheticBenchmark(space, measured_share=0.5)
    return {"benchmark": benchmark, "space": space, "dataset": "cifar10", "macro": False,
            "api": nb101_api, "nb101_data": nb101_api.NASBench(benchmark, space)}


def test_specs_are_seven_vertices_as_naslib_holds_them(synthetic_api):
    ss = naslib_bridge.EONasBench101SearchSpace()
    ss.set_spec(Cell([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], ["input", "conv1x1-bn-relu", "maxpool3x3", "output"]))
    spec = ss.get_spec()
    assert spec["matrix"].shape == (7, 7) and spec["ops"][-1] == "output" and spec["ops"][3:6] == ["conv3x3-bn-relu"] * 3
    assert len(ss.get_tuple()) == 56
    again = naslib_bridge.EONasBench101SearchSpace()
    again.set_spec(spec)
    assert again.get_hash() == ss.get_hash()
    again.set_spec(ss.get_tuple())
    assert again.get_hash() == ss.get_hash()


def test_metrics_the_benchmark_lacks_are_nan_and_listed_once(synthetic_api, caplog):
    ss = naslib_bridge.EONasBench101SearchSpace()
    ss.set_spec(Cell([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"]))
    with caplog.at_level("WARNING"):
        for metric in (NaslibMetric.TRAIN_ACCURACY, NaslibMetric.TRAIN_LOSS, NaslibMetric.TRAIN_ACCURACY, NaslibMetric.HP):
            assert math.isnan(ss.query(metric, "cifar10", dataset_api=synthetic_api))
    messages = [r.getMessage() for r in caplog.records if "answered NaN" in r.getMessage()]
    assert len(messages) == len(set(messages)) and any("train_accuracy" in m for m in messages)
    assert ss.query(NaslibMetric.VAL_ACCURACY, "cifar10", dataset_api=synthetic_api) > 1  # percent
    assert math.isnan(synthetic_api["nb101_data"].query(nb101_api.ModelSpec(**ss.get_spec()))["test_accuracy"])


@pytest.mark.skipif(naslib_bridge.torch is None, reason="NASLib's neighbours are torch modules: needs torch")
def test_neighbours_keep_the_space_class_and_naslibs_moves(synthetic_api):
    ss = naslib_bridge.EONasBench101SearchSpace()
    ss.set_spec(Cell([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"]))
    nbhd = ss.get_nbhd(dataset_api=synthetic_api)
    assert nbhd and all(type(n.arch) is naslib_bridge.EONasBench101SearchSpace for n in nbhd)
    value = nbhd[0].arch.query(NaslibMetric.VAL_ACCURACY, "cifar10", dataset_api=synthetic_api)
    assert value == pytest.approx(100 * synthetic_api["benchmark"].query(nbhd[0].arch.spec, "val_accuracy"))


def test_nb101_api_answers_as_naslibs_nasbench(synthetic_api, space):
    data = synthetic_api["nb101_data"]
    disconnected = nb101_api.ModelSpec(np.zeros((3, 3), dtype=int), ["input", "conv3x3-bn-relu", "output"])
    assert not disconnected.valid_spec and not data.is_valid(disconnected)
    with pytest.raises(nb101_api.OutOfDomainError):
        data.query(disconnected)
    with pytest.raises(ValueError, match="upper triangular"):
        nb101_api.ModelSpec([[0, 0], [1, 0]], ["input", "output"])
    # a dangling vertex is pruned, as NB101 prunes it
    spec = nb101_api.ModelSpec([[0, 1, 1], [0, 0, 0], [0, 0, 0]], ["input", "maxpool3x3", "output"])
    assert spec.ops == ["input", "output"] and data.is_valid(spec)
    result = data.query(spec)
    row = space.index(spec.hash_spec())
    assert result["validation_accuracy"] == pytest.approx(synthetic_api["benchmark"].query_rows(np.array([row]), "val_accuracy")[0])
    assert result["module_operations"] == ["input", "output"]
    with pytest.raises(nb101_api.OutOfDomainError, match="epochs 4"):
        data.query(spec, epochs=4)
    fixed, computed = data.get_metrics_from_hash(spec.hash_spec())
    assert list(computed) == [108] and computed[108][0]["final_validation_accuracy"] == result["validation_accuracy"]
    assert data.last_cell is not None and next(data.hash_iterator()) == space.hashes[0]


@pytest.mark.parametrize(("value", "expected"), [("", False), ("0", False), ("no", False), ("1", True), ("TRUE", True), ("yes", True)])
def test_measured_only_switch_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setitem(naslib_bridge._SETTINGS, "measured_only", False)
    monkeypatch.setenv(naslib_bridge.MEASURED_ONLY_ENV, value)
    assert naslib_bridge.measured_only_requested() is expected


def test_measured_only_switch_refuses_other_values(monkeypatch):
    monkeypatch.setenv(naslib_bridge.MEASURED_ONLY_ENV, "maybe")
    with pytest.raises(ConfigError, match="EO_NASLIB_MEASURED_ONLY='maybe' is not a switch"):
        naslib_bridge.measured_only_requested()


def test_share_of_predictions_is_reported_once(space, caplog):
    tally = AnswerTally(SyntheticBenchmark(space, measured_share=0.0), "so2sat_lcz42_micro")
    tally.record(space.cell(0), ["val_accuracy"])
    with caplog.at_level("INFO", logger="naslib.eo_naslib_bridge"):
        naslib_bridge.report_share(tally)
        naslib_bridge.report_share(tally)
    messages = [r.getMessage() for r in caplog.records if r.name == "naslib.eo_naslib_bridge"]
    assert messages == ["so2sat_lcz42_micro: 1 of 1 answers given to NASLib (100.0%) were surrogate predictions for cells the "
                        "benchmark did not measure; for measured cells only set EO_NASLIB_MEASURED_ONLY=1 or call "
                        "naslib_bridge.register(measured_only=True)"]


def test_predictor_results_become_plain_json_numbers():
    results = {"full_testpred": [np.float32(0.5), np.float64(1.5)], "n": np.int64(3), "a": np.arange(2)}
    assert naslib_bridge._plain(results) == {"full_testpred": [0.5, 1.5], "n": 3, "a": [0, 1]}
