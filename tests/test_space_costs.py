"""Network costs counted from cells (`space.costs`) against NB101's channel rule and the built network."""

from __future__ import annotations

import numpy as np
import pytest

from eo_naslib.benchmarks.features import DEFAULT_FEATURES, DEVICE_FEATURES, FEATURE_SETS, default_features
from eo_naslib.space.costs import COST_COLUMNS, network_costs, total_macs, vertex_channels

#: network shapes the counts are checked in: (in_channels, num_classes, network options)
SHAPES = ((10, 17, {}), (3, 10, {}), (4, 3, {"stem_channels": 16, "num_stacks": 2, "cells_per_stack": 1, "image_size": 16}))


def _rows(space, per_size: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.choice(np.flatnonzero(space.n_vertices == n), per_size) for n in range(2, 8)])


def test_vertex_channels_follow_nb101s_rule_cell_by_cell(space):
    parameters = pytest.importorskip("eo_naslib.training.parameters")
    for row in _rows(space, 60, 3):
        cell = space.cell(int(row))
        n = len(cell.ops)
        for c_in, c_out in ((128, 128), (128, 256), (43, 17)):
            expected = parameters.compute_vertex_channels(c_in, c_out, np.asarray(cell.matrix))
            got = vertex_channels(space.matrices[[row], :n, :n], n, c_in, c_out)[0]
            assert got.tolist() == expected, (row, c_in, c_out)


def _hooked_counts(model, image: tuple[int, int, int]) -> dict[str, int]:
    """conv layers, their output elements and the cells' 3x3 max-pool outputs, seen by forward hooks."""
    torch = pytest.importorskip("torch")
    counts = {"conv_layers": 0, "conv_output_elements": 0, "maxpool_elements": 0}

    def conv_hook(module, inputs, output):
        counts["conv_layers"] += 1
        counts["conv_output_elements"] += output[0].numel()

    def pool_hook(module, inputs, output):
        if module.kernel_size == 3:  # the cells' max-pool vertices, not the 2x2 downsampling
            counts["maxpool_elements"] += output[0].numel()

    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d):
            module.register_forward_hook(conv_hook)
        elif isinstance(module, torch.nn.MaxPool2d):
            module.register_forward_hook(pool_hook)
    with torch.no_grad():
        model.eval()(torch.zeros((1, *image), device="meta"))
    return counts


def test_costs_equal_what_the_built_network_computes(space):
    pytest.importorskip("torch", reason="building networks needs torch (pip install 'eo-naslib[train]')")
    hardware = pytest.importorskip("eo_naslib.training.hardware")
    network = pytest.importorskip("eo_naslib.training.network")
    rows = _rows(space, 2, 8)
    for in_channels, classes, options in SHAPES:
        image_size = options.get("image_size", 32)
        shape = {k: v for k, v in options.items() if k != "image_size"}
        costs = network_costs(space.matrices[rows], space.labels[rows], in_channels, classes, image_size=image_size, **shape)
        for row, cost in zip(rows, costs):
            model = network.build_network(space.cell(int(row)), in_channels, classes, device="meta", **shape)
            image = (in_channels, image_size, image_size)
            assert total_macs(cost[None])[0] == hardware.count_macs(model, image), (row, in_channels)
            counted = dict(zip(COST_COLUMNS, cost))
            for name, value in _hooked_counts(model, image).items():
                assert counted[name] == value, (row, name)


def test_adds_and_concatenation_of_a_hand_counted_cell():
    # input -> a (conv3x3) -> b (conv1x1); input -> b; a, b -> output; input -> output
    matrix = np.zeros((1, 7, 7), dtype=np.uint8)
    matrix[0, :4, :4] = [[0, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]]
    labels = np.full((1, 7), -3, dtype=np.int8)
    labels[0, :4] = [-1, 0, 1, -2]
    counted = dict(zip(COST_COLUMNS, network_costs(matrix, labels, 1, 1, stem_channels=8, num_stacks=1, cells_per_stack=1, image_size=4)[0]))
    # channels: a and b feed the output, 8 split as 4 + 4; 16 pixels
    assert counted["add_elements"] == (4 + 8) * 16  # b sums a with the projected input; the projected input joins the output
    assert counted["concat_elements"] == 8 * 16
    assert counted["projection_macs"] == (8 * 4 + 8 * 4 + 8 * 8) * 16  # input -> a, b (4 channels each) and -> output (8)
    assert counted["conv3x3_macs"] == 4 * 4 * 9 * 16 and counted["conv1x1_macs"] == 4 * 4 * 16


def test_device_metrics_are_completed_with_the_network_costs(space):
    assert default_features("latency_ms") == default_features("peak_memory_mib") == DEVICE_FEATURES
    assert default_features("val_accuracy@108") == default_features("train_time_s@108") == DEFAULT_FEATURES
    rows = np.arange(5)
    features = FEATURE_SETS[DEVICE_FEATURES](space, rows)
    assert features.shape == (5, FEATURE_SETS[DEFAULT_FEATURES](space, rows).shape[1] + len(COST_COLUMNS))
    assert np.isfinite(features).all()


def _leaf_outputs(model, image: tuple[int, int, int]) -> int:
    """Elements all leaf modules output for one image, summed by forward hooks on the meta network."""
    torch = pytest.importorskip("torch")
    total = [0]
    for module in model.modules():
        if not list(module.children()):
            module.register_forward_hook(lambda module, inputs, output: total.__setitem__(0, total[0] + output.numel()))
    with torch.no_grad():
        model.eval()(torch.empty((1, *image), device="meta"))
    return total[0]


def test_memory_estimate_counts_what_every_module_outputs(space):
    pytest.importorskip("torch", reason="building networks needs torch (pip install 'eo-naslib[train]')")
    limits = pytest.importorskip("eo_naslib.training.limits")
    network = pytest.importorskip("eo_naslib.training.network")
    for row in _rows(space, 1, 13):
        cell = space.cell(int(row))
        for in_channels, classes, stem, stacks, per_stack, patch in ((10, 17, 128, 3, 3, (32, 32)), (4, 3, 16, 2, 1, (20, 13))):
            model = network.build_network(cell, in_channels, classes, device="meta", stem_channels=stem, num_stacks=stacks, cells_per_stack=per_stack)
            estimate = limits.estimate_bytes(cell, in_channels, stem, stacks, per_stack, 1, training=False, num_classes=classes, patch=patch)
            assert estimate.image_activation_bytes == 4 * _leaf_outputs(model, (in_channels, *patch)), (row, patch)
            assert estimate.parameters == network.count_parameters(model)
