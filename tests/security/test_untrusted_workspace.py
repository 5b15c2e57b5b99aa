"""An untrusted checkout cannot make dbsense run its code, read outside it, or leak secrets.

Every planted module writes a marker file when imported or executed; the CLI (text, JSON and
SARIF) and the language server analyse the workspace from inside it, and no marker may appear.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.lsp.conftest import diagnostics_for, make_client, open_document, start

SECRET = "hunter2-s3cr3t"
OUTSIDE = "OUTSIDE-CONFIG-WAS-READ"
# Module names a workspace could use to shadow what dbsense (or Python tooling) imports.
SHADOWS = (
    "sqlglot",
    "redis",
    "pymongo",
    "elasticsearch",
    "pygls",
    "lsprotocol",
    "cattrs",
    "attrs",
    "pathspec",
    "typing_extensions",
    "tomli",
    "sitecustomize",
    "usercustomize",
    "conftest",
    "settings",
    "manage",
    "setup",
)


def payload(markers: Path, name: str) -> str:
    return f"import pathlib\npathlib.Path({str(markers / name)!r}).write_text('ran')\n"


def plant(tmp_path: Path) -> tuple[Path, Path]:
    """A workspace whose every executable part leaves a marker in the returned directory."""
    root, markers = tmp_path / "checkout", tmp_path / "markers"
    markers.mkdir()
    (root / "migrations").mkdir(parents=True)
    (root / "alembic" / "versions").mkdir(parents=True)
    (root / "shop").mkdir()
    for name in SHADOWS:
        (root / f"{name}.py").write_text(payload(markers, name))
    (root / "shop" / "__init__.py").write_text(payload(markers, "shop_package"))
    (root / "shop" / "models.py").write_text(
        payload(markers, "shop_models")
        + "from django.db import models\n\n\nclass Order(models.Model):\n"
        "    placed_at = models.DateTimeField()\n"
    )
    (root / "migrations" / "0001_initial.py").write_text(
        payload(markers, "django_migration")
        + "from django.db import migrations\n\n\ndef forwards(apps, schema_editor):\n"
        + "    "
        + payload(markers, "run_python").replace("\n", "; ", 1)
        + "\n\nclass Migration(migrations.Migration):\n"
        "    operations = [migrations.RunPython(forwards)]\n"
    )
    (root / "migrations" / "0002_orders.sql").write_text(
        "CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamp);\n"
    )
    (root / "alembic" / "env.py").write_text(payload(markers, "alembic_env"))
    (root / "alembic" / "versions" / "abc123_orders.py").write_text(
        payload(markers, "alembic_revision")
        + 'from alembic import op\n\nrevision = "abc123"\ndown_revision = None\n\n\n'
        "def upgrade():\n    op.create_index('ix', 'orders', ['placed_at'])\n"
    )
    (root / "app.py").write_text(
        "import redis\nimport settings\n\n"
        f"DSN = 'postgresql://admin:{SECRET}@db.internal/prod'\n"
        "r = redis.Redis()\nr.keys('*')\n"
    )
    outside = tmp_path / "outside.toml"
    outside.write_text(f'[tool.dbsense]\nselect = ["{OUTSIDE}"]\n')
    one_line = payload(markers, "config_command").strip().replace("\n", "; ")
    command = f"{sys.executable} -c {one_line!r}"
    (root / "pyproject.toml").write_text(
        "[build-system]\n"
        'requires = ["evil"]\nbuild-backend = "settings"\n\n'
        "[tool.dbsense]\n"
        f'extend = "{outside}"\n'
        f"command = {json.dumps(command)}\n"
        'plugins = ["settings", "conftest"]\n'
        f'cache-dir = "{tmp_path / "elsewhere"}"\n'
        f'database-url = "postgresql://admin:{SECRET}@db.internal/prod"\n\n'
        "[tool.dbsense.postgres]\n"
        f'dsn = "postgresql://admin:{SECRET}@db.internal/prod"\n\n'
        "[tool.dbsense.redis]\n"
        f'url = "redis://:{SECRET}@cache.internal:6379/0"\n\n'
        "[tool.pytest.ini_options]\n"
        'addopts = "-p settings"\n'
    )
    return root, markers


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("DBSENSE_", "PYTHON"))}


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dbsense", "check", ".", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(),
    )


def test_cli_runs_nothing_reads_nothing_outside_and_leaks_nothing(tmp_path: Path):
    root, markers = plant(tmp_path)
    outputs = []
    for args in ((), ("--format", "json"), ("--format", "sarif"), ("--no-cache",)):
        run = run_cli(root, *args)
        assert run.returncode in (0, 1), run.stderr
        outputs.append(run.stdout + run.stderr)
        if "json" in args or "sarif" in args:
            json.loads(run.stdout)  # exactly one JSON document, warnings on stderr
    assert sorted(p.name for p in markers.iterdir()) == []
    # The trap is live: importing a planted module from the checkout does leave its marker.
    subprocess.run([sys.executable, "-c", "import sqlglot"], cwd=root, env=clean_env(), check=True)
    assert [p.name for p in markers.iterdir()] == ["sqlglot"]
    everything = "\n".join(outputs)
    assert "PG302" in everything and "RD101" in everything  # the analysis did run
    assert SECRET not in everything
    assert OUTSIDE not in everything
    assert not (tmp_path / "elsewhere").exists()
    # Unknown keys are named (the contract), never acted upon.
    for key in ("extend", "command", "plugins", "cache-dir", "database-url"):
        assert f"`tool.dbsense.{key}`: unknown key; it is ignored" in outputs[0], key


async def test_language_server_runs_nothing_from_the_workspace(tmp_path: Path):
    root, markers = plant(tmp_path)
    client = make_client()
    await client.start_io(
        sys.executable, "-m", "dbsense.server", "--stdio", cwd=root, env=clean_env()
    )
    try:
        await start(client, root, options={"select": ["all"]})
        for file in (
            root / "settings.py",
            root / "conftest.py",
            root / "migrations" / "0001_initial.py",
            root / "alembic" / "versions" / "abc123_orders.py",
        ):
            uri = open_document(client, file)
            await diagnostics_for(client, uri, version=1)
        uri = open_document(client, root / "migrations" / "0002_orders.sql")
        codes = {d.code for d in await diagnostics_for(client, uri, version=1)}
        assert "PG302" in codes
        uri = open_document(client, root / "app.py")
        diagnostics = await diagnostics_for(client, uri, version=1)
        assert SECRET not in json.dumps([d.message for d in diagnostics])
        await asyncio.wait_for(client.shutdown_async(None), 10)
        client.exit(None)
        await asyncio.wait_for(client._server.wait(), 10)
    finally:
        if client._server is not None and client._server.returncode is None:
            client._server.kill()
        await client.stop()
    assert sorted(p.name for p in markers.iterdir()) == []
    logs = "\n".join(message.message for message in client.log_messages)
    assert SECRET not in logs and OUTSIDE not in logs
