"""The one metric schema: names, units and directions of every benchmark metric.

Accuracies are fractions in [0, 1]; Cohen's kappa is in [-1, 1]; losses are mean cross-entropy
(nats); units are in the names. Per-class accuracies are named `<split>_accuracy_class_<k>`
(k: the class index of the dataset's labels; `per_class_metric`), one metric per class.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import UnknownMetricError


@dataclass(frozen=True)
class MetricInfo:
    name: str
    unit: str
    maximise: bool
    description: str


METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in (
        MetricInfo("train_accuracy", "fraction", True, "overall (micro) training accuracy"),
        MetricInfo("val_accuracy", "fraction", True, "overall (micro) validation accuracy"),
        MetricInfo("test_accuracy", "fraction", True, "overall (micro) test accuracy"),
        MetricInfo("train_accuracy_macro", "fraction", True, "class-averaged (macro) training accuracy"),
        MetricInfo("val_accuracy_macro", "fraction", True, "class-averaged (macro) validation accuracy"),
        MetricInfo("test_accuracy_macro", "fraction", True, "class-averaged (macro) test accuracy"),
        MetricInfo("train_kappa", "kappa", True, "Cohen's kappa on the training split"),
        MetricInfo("val_kappa", "kappa", True, "Cohen's kappa on the validation split"),
        MetricInfo("test_kappa", "kappa", True, "Cohen's kappa on the test split"),
        MetricInfo("train_loss", "nats", False, "mean cross-entropy on the training split (evaluation pass)"),
        MetricInfo("val_loss", "nats", False, "mean cross-entropy on the validation split"),
        MetricInfo("test_loss", "nats", False, "mean cross-entropy on the test split"),
        MetricInfo("train_time_s", "s", False, "wall time of the whole training run"),
        MetricInfo("latency_ms", "ms", False, "mean inference latency (device, batch and timed window in provenance)"),
        MetricInfo("latency_std_ms", "ms", False, "standard deviation of the inference latency"),
        MetricInfo("latency_median_ms", "ms", False, "median inference latency at batch 1 (device profiles)"),
        MetricInfo("latency_p95_ms", "ms", False, "95th percentile of the inference latency at batch 1 (device profiles)"),
        MetricInfo("latency_min_ms", "ms", False, "fastest timed pass at batch 1 (device profiles; repeats best on a shared machine)"),
        MetricInfo("latency_batch_ms", "ms", False, "mean latency of one forward pass at the profile's stated batch"),
        MetricInfo("throughput_images_per_s", "images/s", True, "images per second at the profile's stated batch"),
        MetricInfo("peak_memory_mib", "MiB", False, "peak inference memory (CUDA allocator peak; CPU: peak RSS growth)"),
        MetricInfo("energy_mj", "mJ", False, "device energy per image at batch 1 (NVML or RAPL, where readable)"),
        MetricInfo("params", "count", False, "trainable parameters (the counted model is named in provenance)"),
        MetricInfo("size_kb", "KiB", False, "size of the saved weights"),
        MetricInfo("macs", "count", False, "multiply-accumulate operations of one forward pass (measured by us)"),
    )
}
#: NASLib's zero-cost proxies (`ZeroCost` method names); stored as metrics `zc_<name>`
ZERO_COST_PROXIES = (
    "epe_nas", "fisher", "flops", "grad_norm", "grasp", "jacov", "l2_norm", "nwot", "params", "plain", "snip", "synflow", "zen",
)
ZERO_COST_PREFIX = "zc_"
METRICS.update(
    (
        f"{ZERO_COST_PREFIX}{name}",
        MetricInfo(
            f"{ZERO_COST_PREFIX}{name}", "score", True,
            f"zero-cost proxy {name} of the untrained network on one batch, in the form NASLib's ZeroCost answers "
            "(batch, seed and data in provenance)",
        ),
    )
    for name in ZERO_COST_PROXIES
)


#: `<split>_accuracy_class_<k>`: the accuracy of class k on a split
PER_CLASS = re.compile(r"(train|val|test)_accuracy_class_(\d+)")
SPLITS = ("train", "val", "test")


def per_class_metric(split: str, index: int) -> str:
    """The name of class `index`'s accuracy on `split` (train, val or test)."""
    return f"{split}_accuracy_class_{index}"


def metric_info(name: str) -> MetricInfo:
    """Schema entry of a metric (per-class accuracies included); raises `UnknownMetricError`
    listing the known names."""
    if name in METRICS:
        return METRICS[name]
    match = PER_CLASS.fullmatch(name) if isinstance(name, str) else None
    if match:
        split, index = match.groups()
        return MetricInfo(name, "fraction", True, f"accuracy of class {index} on the {split} split")
    raise UnknownMetricError(
        f"unknown metric {name!r}; known metrics: {sorted(METRICS)} and per-class accuracies "
        "such as val_accuracy_class_0"
    )
