"""`eo-naslib space ...` subcommands."""

from __future__ import annotations

import argparse
import json

from .cache import space_cache_path, timed_all_cells


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    space = subparsers.add_parser("space", help="the NAS-Bench-101 cell space")
    actions = space.add_subparsers(dest="space_command", required=True)
    info = actions.add_parser("info", help="size of the space, cache location and load time")
    info.add_argument("--cache-dir", help="cache directory (default: $EO_NASLIB_CACHE or the user cache dir)")
    info.add_argument("--rebuild", action="store_true", help="enumerate again even if a cache exists")
    info.set_defaults(func=_info)


def _info(args: argparse.Namespace) -> int:
    path = space_cache_path(args.cache_dir)
    cached_before = path.exists() and not args.rebuild
    table, seconds = timed_all_cells(args.cache_dir, rebuild=args.rebuild)
    sizes = {int(n): int((table.n_vertices == n).sum()) for n in sorted(set(table.n_vertices.tolist()))}
    print(
        json.dumps(
            {
                "cells": len(table),
                "representations": len(table.rep_keys),
                "cells_by_vertex_count": sizes,
                "cache": str(path),
                "source": "cache" if cached_before else "enumerated",
                "seconds": round(seconds, 3),
            },
            indent=2,
        )
    )
    return 0
