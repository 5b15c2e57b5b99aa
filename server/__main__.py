"""``python -m dbsense.server [--stdio]``: the language server over stdio."""

import os
import sys

# A workspace's own `sqlglot.py` or `pygls.py` must never shadow the real packages.
_cwd = os.getcwd()
sys.path[:] = [entry for entry in sys.path if entry not in ("", ".", _cwd)]

from dbsense.server.server import run_stdio  # noqa: E402

if __name__ == "__main__":
    args = [arg for arg in sys.argv[1:] if arg != "--stdio"]
    if args:
        print(
            f"usage: python -m dbsense.server [--stdio] (unknown: {' '.join(args)})",
            file=sys.stderr,
        )
        raise SystemExit(2)
    run_stdio()
