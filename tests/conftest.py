"""Suite-wide fixtures, registered from tests/support."""

pytest_plugins = ["tests.support.services"]
