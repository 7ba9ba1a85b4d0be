"""Benchmark creation: sample cells, plan jobs, run them on local / Ray / SLURM backends, build a store.

Names are imported on first use (PEP 562 `__getattr__`, `eo_naslib.lazy`): `eo-naslib build --help`
and `build status` need neither the sampling (scipy) nor the store-building (xgboost) stack.
"""

from __future__ import annotations

from ..lazy import lazy_attributes

#: public name -> the module that defines it
LAZY = {
    **dict.fromkeys(["BACKENDS", "Backend", "get_backend"], "eo_naslib.creation.backends"),
    **dict.fromkeys(["RunSummary", "run_plan"], "eo_naslib.creation.coordinator"),
    **dict.fromkeys(["JobKind", "job_kind", "register_job_kind"], "eo_naslib.creation.jobs"),
    **dict.fromkeys(["Job", "Plan", "load_plan", "make_plan"], "eo_naslib.creation.plan"),
    **dict.fromkeys(["plan_status", "read_records"], "eo_naslib.creation.results"),
    **dict.fromkeys(
        ["hash_sample", "lhs_sample", "random_walk_sample", "random_walks", "uniform_sample"], "eo_naslib.creation.sampling"
    ),
    **dict.fromkeys(["build_store", "store_from_records"], "eo_naslib.creation.store"),
}
__getattr__ = lazy_attributes(__name__, LAZY)

__all__ = sorted(LAZY)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(LAZY))
