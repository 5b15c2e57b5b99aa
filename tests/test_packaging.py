"""The wheel holds exactly one top-level import package, and its console script runs."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

from dbsense import __version__

ROOT = Path(__file__).resolve().parents[1]


def uv() -> str:
    found = shutil.which("uv")
    assert found, "uv is required (make test installs it)"
    return found


def test_wheel_installs_into_a_fresh_venv(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [uv(), "build", "--wheel", "--out-dir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("dbsense-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top_level = {name.split("/")[0] for name in names if ".dist-info" not in name.split("/")[0]}
    assert top_level == {"dbsense"}
    for module in ("server/__init__.py", "analyzers/ir.py", "engines/core.py", "cli.py"):
        assert f"dbsense/{module}" in names

    env_dir = tmp_path / "venv"
    subprocess.run([uv(), "venv", "--quiet", str(env_dir)], check=True, capture_output=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [uv(), "pip", "install", "--quiet", "--python", str(python), str(wheel)],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    site = next((env_dir / "lib").glob("python3*/site-packages"))
    owned = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m; "
            "print(sorted({f.parts[0] for f in m.files('dbsense') if f.parts[0] != '..'}))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.strip()
    assert owned == f"['dbsense', 'dbsense-{__version__}.dist-info']"
    assert (site / "dbsense" / "engines" / "core.py").is_file()
    assert not (site / "engines").exists() and not (site / "server").exists()
    version = subprocess.run(
        [str(env_dir / "bin" / "dbsense"), "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"dbsense {__version__}"
    serve_help = subprocess.run(
        [str(python), "-m", "dbsense", "serve", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert "--stdio" in serve_help.stdout
