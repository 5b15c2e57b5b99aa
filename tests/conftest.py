"""Suite-wide fixtures, registered from tests/support, and the Hypothesis profile for CI."""

import os

from hypothesis import settings

pytest_plugins = ["tests.support.services"]

# CI replays the same examples every run (a red CI must mean a regression, not a lucky draw);
# local runs keep exploring, and `make fuzz` explores much longer.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
