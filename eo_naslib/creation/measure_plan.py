"""The creation config of a measure-only plan from `build plan --job measure ...` flags (no YAML).

`eo-naslib build plan --job measure --sampler lhs --n 500 --device cpu --out DIR` makes the same
plan as a YAML config with `job: measure`; the plan and its store are named `--name`, by default
after this machine's device fingerprint (`training.profile.device_name`, e.g. `cpu-amd-epyc-2t`),
and such a plan measures with the threads its name states (`--threads`, else this machine's torch
threads) on every backend (a Ray worker would otherwise time on the one thread Ray gives it).
`--job zc --sampler lhs --n 100 --data DIR` makes a zero-cost plan the same way (`creation.zc`; its
settings: `--sensor`, `--batch-size`, `--stem-channels`; named `zc-lhs-100` unless `--name`).
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from ..lazy import lazy_module

#: the fingerprint of the device a default name describes (torch, imported when a name is needed)
profile = lazy_module("eo_naslib.training.profile")
torch = lazy_module("torch")

#: `build plan` flags that only a flag-made measure plan reads -> its sampler or settings key
SAMPLER_FLAGS = {"sampler": "kind", "n": "n", "seed": "seed", "benchmark": "name"}
SETTING_FLAGS = ("device", "runtime", "threads", "batch_size", "warmup", "repeats", "sensor", "stem_channels", "precision")
FLAG_SAMPLERS = ("lhs", "uniform", "benchmark")
#: the job kinds a plan made from flags may have, and the setting flags each reads
FLAG_JOBS = {"measure": SETTING_FLAGS, "zc": ("sensor", "batch_size", "stem_channels")}


def given_flags(options: dict[str, Any]) -> list[str]:
    """The measure-plan flags set on the command line (None means not given)."""
    return [k for k in (*SAMPLER_FLAGS, *SETTING_FLAGS, "name") if options.get(k) is not None]


def measure_config(options: dict[str, Any]) -> dict[str, Any]:
    """A creation config (`plan.make_plan`'s input) of a measure plan from the flags' values."""
    sampler = options.get("sampler")
    if sampler not in FLAG_SAMPLERS:
        raise ConfigError(f"--job measure needs --sampler, one of {list(FLAG_SAMPLERS)} (got {sampler!r})")
    if sampler == "benchmark":
        if options.get("benchmark") is None or options.get("n") is not None:
            raise ConfigError("--sampler benchmark measures the measured cells of --benchmark NAME; give --benchmark, not --n")
    elif options.get("n") is None or options.get("benchmark") is not None:
        raise ConfigError(f"--sampler {sampler} needs --n (cells to measure) and no --benchmark")
    job = options.get("job")
    if job not in FLAG_JOBS:
        raise ConfigError(f"--job {job!r} cannot be planned from flags; give one of {list(FLAG_JOBS)}, or a creation CONFIG")
    foreign = [k for k in SETTING_FLAGS if options.get(k) is not None and k not in FLAG_JOBS[job]]
    if foreign:
        raise ConfigError(f"--{foreign[0].replace('_', '-')} is not a setting of --job {job}; its settings: {list(FLAG_JOBS[job])}")
    settings = {k: options[k] for k in FLAG_JOBS[job] if options.get(k) is not None}
    if job == "measure":
        if options.get("name") is None:  # named after these threads: every backend measures with them
            settings["threads"] = settings.get("threads") or torch.get_num_threads()
        name = options.get("name") or default_name(settings)
        description = f"device profiles of {_what(options)} on {name} (measure-only plan, no training)"
    else:
        name = options.get("name") or f"zc-{options['sampler']}-{options.get('n') or options.get('benchmark')}"
        description = f"zero-cost proxy scores of {_what(options)} (untrained networks)"
    return {
        "name": name,
        "description": description,
        "sampler": {SAMPLER_FLAGS[k]: options[k] for k in SAMPLER_FLAGS if options.get(k) is not None},
        "job": job,
        "settings": settings,
        "store": {"name": name},
    }


def _what(options: dict[str, Any]) -> str:
    if options["sampler"] == "benchmark":
        return f"the measured cells of {options['benchmark']!r}"
    return f"{options['n']} {options['sampler']} cells"


def default_name(settings: dict[str, Any]) -> str:
    """The device name of this machine's fingerprint for these settings (device, runtime, `threads`)."""
    device_text = settings.get("device", "cpu")
    try:
        device = torch.device(device_text)
    except RuntimeError:
        raise ConfigError(f"--device {device_text!r} is not a torch device; use cpu or cuda[:N]") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"--device {device_text} but CUDA is not available here; give --name for a plan run elsewhere")
    bf16 = device.type == "cuda" and settings.get("precision", "auto") in ("auto", "bf16")
    dtype = "bf16-autocast" if bf16 else "fp32"
    fingerprint = profile.device_fingerprint(device, settings.get("runtime", "torch"), dtype, settings["threads"])
    return profile.device_name(fingerprint)
