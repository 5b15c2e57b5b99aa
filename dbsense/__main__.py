"""``python -m dbsense``: the CLI, never importing modules from the current directory."""

import os
import sys

# A workspace's own `sqlglot.py` or `redis.py` must never shadow the real packages.
_cwd = os.getcwd()
sys.path[:] = [entry for entry in sys.path if entry not in ("", ".", _cwd)]

from dbsense.cli import run  # noqa: E402

run()
