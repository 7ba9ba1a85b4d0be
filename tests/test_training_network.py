"""The NB101 network: parameter counts equal the published ones on 1,450 real cells; MACs vs ptflops on 20 cells."""

from __future__ import annotations

import io

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="training needs torch (pip install 'eo-naslib[train]')")

from eo_naslib.benchmarks.formats.safe_pickle import safe_load  # noqa: E402
from eo_naslib.errors import ConfigError  # noqa: E402
from eo_naslib.space import OPS, Cell, random_cell  # noqa: E402
from eo_naslib.training.hardware import count_macs, hardware_metrics, measure_latency, ptflops_macs  # noqa: E402
from eo_naslib.training.network import NB101Network, build_network, compute_vertex_channels, count_parameters  # noqa: E402

_NAMES = {-1: "input", -2: "output", 0: OPS[0], 1: OPS[1], 2: OPS[2]}


def _nb101_cells(folder):
    data = json.loads((folder / "data-1k.json").read_text())
    for adjacency, operations, params in zip(
        data["adjacency"], data["operations"], data["trainable_parameters"]
    ):
        ops = [o for o in operations if o != -3]
        n = len(ops)
        yield Cell(np.asarray(adjacency, dtype=int)[:n, :n], [_NAMES[o] for o in ops]), int(params)


def _eo_cells(folder):
    database = safe_load(folder / "database_pickle_micro.pickle")
    for fixed, _computed in database.values():
        yield (
            Cell(np.asarray(fixed["module_adjacency"]), list(fixed["module_operations"])),
            int(fixed["trainable_parameters"]),
        )


def _mismatches(cells, in_channels, num_classes):
    counts = (
        (c.hash, p, count_parameters(build_network(c, in_channels, num_classes, device="meta")))
        for c, p in cells
    )
    return [m for m in counts if m[1] != m[2]]


def test_parameter_counts_equal_nb101_on_1000_cifar10_cells(nb101_subset):
    cells = list(_nb101_cells(nb101_subset))
    assert len(cells) == 1000
    wrong = _mismatches(cells, 3, 10)
    assert wrong == [], f"{len(wrong)} of 1000 counts differ from NB101's, e.g. {wrong[:3]}"


def test_parameter_counts_equal_eo_data_on_450_so2sat_cells(eo_data):
    # measured: the EO data's trainable_parameters (and num_params) are the So2Sat model's count,
    # 10 Sentinel-2 bands and 17 classes; the CIFAR-shaped model has exactly 11,655 fewer
    # (7 x 9 x 128 stem weights + 7 x 513 classifier weights and biases)
    cells = list(_eo_cells(eo_data))
    assert len(cells) == 450
    wrong = _mismatches(cells, 10, 17)
    assert wrong == [], f"{len(wrong)} of 450 counts differ from the EO data's, e.g. {wrong[:3]}"
    cell, params = cells[0]
    assert count_parameters(build_network(cell, 3, 10, device="meta")) == params - 11_655


def test_vertex_channels_follow_nb101_rules():
    # input -> 1 -> 2 -> output, input -> 3 -> output: output channels split over 2 and 3 (odd: +1 first)
    matrix = np.array([[0, 1, 0, 1, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]])
    assert compute_vertex_channels(64, 129, matrix) == [64, 65, 65, 64, 129]
    assert compute_vertex_channels(64, 128, np.array([[0, 1], [0, 0]])) == [64, 128]


def test_forward_shape_for_so2sat_bands_and_classes():
    cell = random_cell(np.random.default_rng(3))
    model = NB101Network(cell, in_channels=18, num_classes=17, stem_channels=8)
    assert model(torch.zeros(2, 18, 32, 32)).shape == (2, 17)


def test_macs_agree_with_ptflops_on_20_cells():
    rng = np.random.default_rng(7)
    for _ in range(20):
        model = build_network(
            random_cell(rng), in_channels=10, num_classes=17, device="meta"
        )  # full size, shapes only
        ours, theirs = count_macs(model, (10, 32, 32)), ptflops_macs(model, (10, 32, 32))
        # ptflops also counts the classifier's 17 bias additions; convolutions and matmuls agree exactly
        assert ours == theirs - 17


def test_hardware_metrics_on_cpu_name_their_window():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a shared 2-core CI machine: avoid OpenMP spin contention
    try:
        _check_hardware_metrics()
    finally:
        torch.set_num_threads(threads)


def _check_hardware_metrics():
    model = NB101Network(
        random_cell(np.random.default_rng(5)), in_channels=10, num_classes=17, stem_channels=8
    )
    cpu = torch.device("cpu")
    metrics = hardware_metrics(model, (10, 32, 32), cpu, batch_size=4, warmup=1, repeats=3)
    assert metrics["params"] == count_parameters(model) and metrics["macs"] == count_macs(model, (10, 32, 32))
    assert metrics["size_kb"] > metrics["params"] * 4 / 1024
    saved = io.BytesIO()
    torch.save(model.state_dict(), saved)
    assert metrics["size_kb"] == len(saved.getvalue()) / 1024  # counted as written, nothing kept
    assert metrics["latency_ms"] > 0 and metrics["latency_std_ms"] >= 0 and metrics["latency_batch_size"] == 4
    assert metrics["throughput_images_per_s"] == pytest.approx(4 / (metrics["latency_ms"] / 1000))
    assert "input already on the device" in metrics["latency_window"] and metrics["device"]["type"] == "cpu"
    copied = measure_latency(model, (10, 32, 32), cpu, batch_size=4, warmup=1, repeats=2, include_copy=True)
    assert "host-to-device copy" in copied["latency_window"]


@pytest.mark.parametrize("option", [{"batch_size": 0}, {"repeats": 0}, {"repeats": 2.5}, {"warmup": -1}, {"batch_size": True}])
def test_latency_options_out_of_range_raise_config_error(option):
    model = NB101Network(random_cell(np.random.default_rng(5)), in_channels=10, num_classes=17, stem_channels=8)
    with pytest.raises(ConfigError, match=next(iter(option))):
        measure_latency(model, (10, 8, 8), torch.device("cpu"), **option)
