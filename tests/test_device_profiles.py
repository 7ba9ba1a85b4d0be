"""Device profiles (`training.profile`), ONNX Runtime timing, energy counters and measure-only plans.

Networks are tiny (stem 4, one stack of one cell) and timed a few times only: the tests check
what is recorded and how, not how fast anything is (scripts/bench_measure.py does that).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from eo_naslib import cli  # noqa: E402
from eo_naslib.benchmarks import load_benchmark  # noqa: E402
from eo_naslib.creation import get_backend, load_plan, run_plan  # noqa: E402
from eo_naslib.creation.jobs import events, is_claimed, job_dir  # noqa: E402
from eo_naslib.creation.measure import measure_settings  # noqa: E402
from eo_naslib.errors import ConfigError  # noqa: E402
from eo_naslib.space import all_cells  # noqa: E402
from eo_naslib.training import cli as training_cli  # noqa: E402
from eo_naslib.training import energy, onnx_runtime, profile  # noqa: E402
from eo_naslib.training.config import TrainConfig  # noqa: E402
from eo_naslib.training.loop import build_model  # noqa: E402

CELL = all_cells().cell(12345).nb101()
TINY = {"stem_channels": 4, "num_stacks": 1, "cells_per_stack": 1}
TINY_FLAGS = ["--stem-channels", "4", "--repeats", "2", "--warmup", "0", "--batch-size", "2", "--threads", "1"]
CLI = (
    "import sys; from eo_naslib.cli import main; sys.exit(main(sys.argv[1:]))"
)


def tiny_model(seed: int = 0) -> torch.nn.Module:
    return build_model(CELL, TrainConfig(sensor="s2", seed=seed, **TINY), 10)


def test_profile_records_batch_1_and_batch_statistics_memory_and_fingerprint(one_torch_thread, tmp_path):
    result = profile.profile_network(tiny_model(), (10, 32, 32), torch.device("cpu"), batch_size=3, warmup=1, repeats=4, powercap=tmp_path)
    details = result["profile"]
    single, batched = details["batch_1"], details["batch"]
    assert result["latency_ms"] == single["mean_ms"] and result["latency_median_ms"] == single["median_ms"]
    assert result["latency_min_ms"] == single["min_ms"] <= single["median_ms"]
    assert min(single[k] for k in ("mean_ms", "std_ms", "median_ms", "p95_ms")) >= 0 and single["p95_ms"] >= single["median_ms"]
    assert len(single["warmup_ms"]) == len(batched["warmup_ms"]) == 1 and single["warmup_ms"][0] > 0
    assert batched["batch_size"] == 3 and result["throughput_images_per_s"] == pytest.approx(3000 / batched["mean_ms"])
    assert result["peak_memory_mib"] >= 0 and "RSS" in details["memory"]["method"]
    assert details["window"] == "forward pass only, input already on the device"
    device = result["device"]
    assert device["type"] == "cpu" and device["threads"] == 1 and device["dtype"] == "fp32" and device["torch"] == torch.__version__
    assert profile.device_name(device).startswith("cpu-") and profile.device_name(device).endswith("-1t")


def test_a_stated_batch_of_1_is_timed_once_for_both_points(one_torch_thread, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(profile, "time_runs", lambda run, warmup, repeats, sync: calls.append((warmup, repeats)) or ([1.0] * warmup, [2.0] * repeats))
    result = profile.profile_network(tiny_model(), (10, 32, 32), torch.device("cpu"), batch_size=1, warmup=2, repeats=3, powercap=tmp_path)
    assert calls == [(2, 0), (0, 3)]  # one warm-up, one timed set
    assert result["profile"]["batch"]["mean_ms"] == result["latency_ms"] == 2.0 and result["throughput_images_per_s"] == 500.0
    assert result["profile"]["batch_1"]["warmup_ms"] == [1.0, 1.0]


def test_macs_counted_from_the_cell_equal_the_run_models(one_torch_thread, tmp_path):
    config = TrainConfig(sensor="s2", **TINY)
    counted = profile.profile_network(tiny_model(), (10, 32, 32), torch.device("cpu"), batch_size=1, warmup=0, repeats=1, powercap=tmp_path)
    assert profile.cell_macs(CELL, config, 10, 17, (32, 32)) == counted["macs"]


def test_profiling_with_other_threads_restores_the_callers(tmp_path):
    before = torch.get_num_threads()
    other = 2 if before == 1 else 1
    profile.profile_network(tiny_model(), (10, 32, 32), torch.device("cpu"), batch_size=1, warmup=0, repeats=1, threads=other, powercap=tmp_path)
    assert torch.get_num_threads() == before


def test_latency_statistics_match_numpy():
    stats = profile.latency_stats([1.0, 2.0, 3.0, 4.0, 10.0])
    assert stats == {"mean_ms": 4.0, "std_ms": pytest.approx(3.5355339), "median_ms": 3.0, "p95_ms": pytest.approx(8.8), "min_ms": 1.0}


def test_a_device_without_energy_counters_has_no_energy_and_says_why(one_torch_thread, tmp_path):
    result = profile.profile_network(tiny_model(), (10, 32, 32), torch.device("cpu"), batch_size=2, warmup=0, repeats=2, powercap=tmp_path)
    assert "energy_mj" not in result
    assert result["profile"]["energy"] == {"available": False, "reason": energy._rapl_counter(tmp_path)[1]}
    assert "no RAPL package counters" in result["profile"]["energy"]["reason"]


def test_rapl_counters_are_summed_over_packages_across_the_wrap(tmp_path):
    for package, (value, span) in enumerate([(5_000, 10_000), (100, 1_000_000)]):
        folder = tmp_path / f"intel-rapl:{package}"
        folder.mkdir()
        (folder / "energy_uj").write_text(str(value))
        (folder / "max_energy_range_uj").write_text(str(span))
    (tmp_path / "intel-rapl:0:0").mkdir()  # a sub-domain (core) is inside its package: not counted again
    counter, reason = energy.energy_counter(torch.device("cpu"), tmp_path)
    assert reason == "" and len(counter.files) == 2
    # package 0 wrapped at 10,000 µJ: 5,000 -> 1,000 is 6,000 µJ; package 1 grew 400 µJ
    assert counter.delta_mj([5_000, 100], [1_000, 500]) == pytest.approx(6.4)
    (tmp_path / "intel-rapl:1" / "energy_uj").chmod(0)
    if os.geteuid() != 0:  # root reads it anyway
        assert "not readable" in energy.energy_counter(torch.device("cpu"), tmp_path)[1]


def test_onnx_runtime_is_checked_against_torch_before_timing(one_torch_thread, monkeypatch, tmp_path):
    pytest.importorskip("onnxruntime")
    result = profile.profile_network(tiny_model(), (10, 32, 32), torch.device("cpu"), batch_size=2, warmup=1, repeats=2, runtime="onnxruntime", powercap=tmp_path)
    assert result["latency_ms"] > 0 and result["device"]["runtime"] == "onnxruntime"
    other = onnx_runtime.export_bytes(tiny_model(seed=1), torch.zeros(1, 10, 32, 32))  # another network's weights
    monkeypatch.setattr(onnx_runtime, "export_bytes", lambda model, sample: other)
    with pytest.raises(ConfigError, match="ONNX export's output differs from torch's"):
        profile.profile_network(tiny_model(), (10, 32, 32), torch.device("cpu"), runtime="onnxruntime", powercap=tmp_path)


def test_measure_command_prints_the_profile(one_torch_thread, capsys):
    code = cli.main(["measure", "--hash", CELL.hash, "--device", "cpu", *TINY_FLAGS])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["profile"]["batch"]["batch_size"] == 2 and out["latency_p95_ms"] > 0
    assert training_cli.RUNTIMES == profile.RUNTIMES


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["measure", "--hash", CELL.hash, "--runtime", "onnxruntime", "--device", "meta"], "does not compute"),
        (["build", "plan", "--job", "measure", "--n", "5", "--out", "x"], "--job measure needs --sampler"),
        (["build", "plan", "--job", "measure", "--sampler", "lhs", "--out", "x"], "--sampler lhs needs --n"),
        (["build", "plan", "--job", "measure", "--sampler", "benchmark", "--n", "3", "--out", "x"], "give --benchmark, not --n"),
        (["build", "plan", "--sampler", "lhs", "--n", "5", "--out", "x"], "give a creation CONFIG, or --job measure"),
        (["build", "plan", "c.yaml", "--job", "measure", "--n", "5", "--out", "x"], "not both"),
        (["build", "plan", "--job", "measure", "--sampler", "lhs", "--n", "5", "--device", "gpu0", "--out", "x"], "'gpu0' is not a torch device"),
        (["build", "plan", "--job", "measure", "--sampler", "lhs", "--n", "5", "--name", "../up", "--out", "x"], "cannot be used as a file name"),
        (["build", "plan", "--job", "measure", "--sampler", "lhs", "--n", "5", "--name", "d", "--device", "cuda", "--runtime", "onnxruntime", "--out", "x"], "times on the CPU"),
    ],
)
def test_bad_options_give_one_line_errors(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and err.startswith("eo-naslib: error:")
    assert not (tmp_path / "x").exists()


def test_measure_settings_are_checked():
    with pytest.raises(ConfigError, match=r"unknown measure setting\(s\) \['epochs'\]"):
        measure_settings({"epochs": 3})
    with pytest.raises(ConfigError, match="measure setting repeats must be"):
        measure_settings({"repeats": 0})
    assert measure_settings({})["runtime"] == "torch"


def test_a_killed_measure_plan_resumes_without_measuring_finished_cells_again(tmp_path, monkeypatch):
    env = {**os.environ, "EO_NASLIB_DATA": str(tmp_path / "data")}
    plan_dir = tmp_path / "plan"
    flags = ["--job", "measure", "--sampler", "uniform", "--n", "6", "--name", "tiny-cpu"]
    made = subprocess.run([sys.executable, "-c", CLI, "build", "plan", *flags, *TINY_FLAGS, "--out", str(plan_dir)],
                          capture_output=True, text=True, timeout=120, env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    plan = load_plan(plan_dir)
    assert plan.kind == "measure" and plan.store == {"name": "tiny-cpu"} and len(plan.jobs) == 6
    coordinator = subprocess.Popen([sys.executable, "-c", CLI, "build", "run", str(plan_dir), "--quiet"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(list(plan.results.glob("*/record.json"))) < 2:
        time.sleep(0.05)
    os.kill(coordinator.pid, signal.SIGKILL)
    coordinator.wait()
    time.sleep(0.5)  # its worker dies with it: no claim is held afterwards
    assert not any(is_claimed(job_dir(plan.results, j.id)) for j in plan.jobs)
    finished = {p.parent.name: p.read_bytes() for p in plan.results.glob("*/record.json")}
    assert 2 <= len(finished) < 6
    with get_backend("local", workers=1) as backend:
        summary = run_plan(plan, backend, progress=False)
    assert summary.failed == {} and len(summary.skipped) == len(finished) and len(summary.done) == 6 - len(finished)
    for identifier, content in finished.items():  # measured once, never again
        assert (plan.results / identifier / "record.json").read_bytes() == content
        assert len(events(job_dir(plan.results, identifier), "start")) == 1
    monkeypatch.setenv("EO_NASLIB_DATA", str(tmp_path / "data"))
    assert cli.main(["build", "store", str(plan.results), "--no-surrogate"]) == 0
    benchmark = load_benchmark("tiny-cpu", surrogate=False)
    assert len(benchmark.measured_hashes()) == 6 and benchmark.query(plan.jobs[0].hash, "latency_p95_ms") > 0
    assert benchmark.store.provenance["devices"][0]["threads"] == 1


def test_the_profiled_network_is_nb101s_network_with_a_one_draw_init():
    config = TrainConfig(sensor="s2", **TINY)
    fast, exact = profile.network_for_profile(CELL, config), tiny_model()
    assert {k: v.shape for k, v in fast.state_dict().items()} == {k: v.shape for k, v in exact.state_dict().items()}
    assert profile.count_macs(fast, (10, 32, 32)) == profile.count_macs(exact, (10, 32, 32))
    for (name, mine), theirs in zip(fast.state_dict().items(), exact.state_dict().values()):
        if mine.dim() < 4:  # BatchNorm state and the dense layer
            assert name.startswith("classifier.weight") or torch.equal(mine, theirs), name
            continue
        bound = 2 * mine[0].numel() ** -0.5 / 0.87962566103423978  # NB101's +-2 std of variance scaling
        assert torch.isfinite(mine).all() and mine.abs().max() <= bound and theirs.abs().max() <= bound, name
        assert mine.std() > 0.25 * bound, name
