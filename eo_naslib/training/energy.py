"""Energy counters of the measuring device, read where the machine exposes them, and why not else.

- NVIDIA GPUs: NVML's total energy since the driver loaded (`nvmlDeviceGetTotalEnergyConsumption`,
  mJ; Volta and newer), through `pynvml` (the `nvidia-ml-py` package) when it is importable.
- Linux CPUs: RAPL package counters under `/sys/class/powercap/intel-rapl:N/energy_uj` (µJ,
  wrapping at `max_energy_range_uj`), when readable (since Linux 5.10 only root may read them).

A counter covers the whole GPU or CPU package, so what else runs there is counted too: the
figure is the energy the device spent during the timed window, divided by the images inferred.
`energy_counter` returns `(counter, "")` or `(None, reason)`; a record keeps the reason.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import torch

try:  # optional: NVML energy on NVIDIA GPUs (the `nvidia-ml-py` package)
    import pynvml
except ImportError:  # pragma: no cover - depends on the environment
    pynvml = None

#: where Linux exposes RAPL (one `intel-rapl:N` folder per CPU package; AMD uses the same names)
POWERCAP = Path("/sys/class/powercap")


@dataclass
class RaplCounter:
    """Sum of the RAPL package counters (µJ files), read in mJ with wrap-around handled."""

    files: list[Path]
    ranges_uj: list[int]
    source: str = "RAPL (/sys/class/powercap, CPU packages)"

    def read(self) -> list[int]:
        return [int(f.read_text()) for f in self.files]

    def delta_mj(self, before: list[int], after: list[int]) -> float:
        total = 0
        for start, end, span in zip(before, after, self.ranges_uj):
            total += end - start if end >= start else end + span - start
        return total / 1000.0


@dataclass
class NvmlCounter:
    """NVML's total energy of one GPU (mJ since the driver loaded)."""

    handle: object
    source: str = "NVML nvmlDeviceGetTotalEnergyConsumption"

    def read(self) -> list[int]:
        return [int(pynvml.nvmlDeviceGetTotalEnergyConsumption(self.handle))]

    def delta_mj(self, before: list[int], after: list[int]) -> float:
        return float(after[0] - before[0])


EnergyCounter = Union[RaplCounter, NvmlCounter]


def energy_counter(device: torch.device, powercap: Path = POWERCAP) -> tuple[EnergyCounter | None, str]:
    """The device's energy counter, or None and the reason none can be read."""
    if device.type == "cuda":
        return _nvml_counter(device)
    if device.type == "cpu":
        return _rapl_counter(powercap)
    return None, f"no energy counter is known for device type {device.type!r}"


def _rapl_counter(powercap: Path) -> tuple[RaplCounter | None, str]:
    packages = sorted(p for p in powercap.glob("intel-rapl:*") if p.name.count(":") == 1)
    if not packages:
        return None, f"no RAPL package counters under {powercap} (not Linux, no RAPL, or a VM/container hiding them)"
    files, ranges = [p / "energy_uj" for p in packages], []
    try:
        for package, file in zip(packages, files):
            int(file.read_text())
            ranges.append(int((package / "max_energy_range_uj").read_text()))
    except (OSError, ValueError) as exc:
        return None, f"RAPL counters under {powercap} are not readable ({type(exc).__name__}; root only since Linux 5.10)"
    return RaplCounter(files, ranges), ""


def _nvml_counter(device: torch.device) -> tuple[NvmlCounter | None, str]:
    if pynvml is None:
        return None, "NVML is not importable; pip install nvidia-ml-py (or eo-naslib[onnx]) for GPU energy"
    try:
        pynvml.nvmlInit()
        handle = _nvml_handle(device)
        pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
    except pynvml.NVMLError as exc:
        return None, f"NVML gives no energy counter for {device} ({exc}; needs a Volta or newer GPU)"
    return NvmlCounter(handle), ""


def _nvml_handle(device: torch.device) -> object:
    """NVML's handle of a torch CUDA device, by PCI bus id (CUDA_VISIBLE_DEVICES renumbers devices)."""
    props = torch.cuda.get_device_properties(device)
    with contextlib.suppress(AttributeError, pynvml.NVMLError):
        bus = f"{props.pci_domain_id:08x}:{props.pci_bus_id:02x}:{props.pci_device_id:02x}.0"
        return pynvml.nvmlDeviceGetHandleByPciBusId(bus.encode())
    return pynvml.nvmlDeviceGetHandleByIndex(device.index or 0)


def nvml_driver() -> str | None:
    """The NVIDIA driver version NVML reports, or None."""
    if pynvml is None:
        return None
    try:
        pynvml.nvmlInit()
        version = pynvml.nvmlSystemGetDriverVersion()
    except pynvml.NVMLError:
        return None
    return version.decode() if isinstance(version, bytes) else str(version)
