"""NASLib-style entry point: python scripts/runner.py --config-file FILE.yaml [key value ...]"""

from eo_naslib.naslib_compat.runner import main

if __name__ == "__main__":
    raise SystemExit(main())
