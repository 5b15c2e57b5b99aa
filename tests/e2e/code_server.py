"""Run a real VS Code (code-server) with a private profile, for the browser end-to-end test."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE_SERVER = ROOT / ".cache" / "code-server" / "node_modules" / ".bin" / "code-server"
START_TIMEOUT_S = 60

# User settings that keep the workbench quiet and deterministic.
USER_SETTINGS = {
    "security.workspace.trust.enabled": False,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "workbench.enableExperiments": False,
    "extensions.autoUpdate": False,
    "extensions.autoCheckUpdates": False,
    "extensions.ignoreRecommendations": True,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "git.enabled": False,
    "chat.disableAIFeatures": True,
    "editor.hover.delay": 200,
    "files.autoSave": "off",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class CodeServer:
    """A code-server process group with its own user data, extensions and XDG folders."""

    home: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def user_settings(self) -> Path:
        return self.home / "user-data" / "User" / "settings.json"

    @property
    def log(self) -> Path:
        return self.home / "code-server.log"

    def _args(self) -> list[str]:
        return [
            str(CODE_SERVER),
            "--user-data-dir",
            str(self.home / "user-data"),
            "--extensions-dir",
            str(self.home / "extensions"),
        ]

    def _env(self) -> dict[str, str]:
        return {
            **self.env,
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_DATA_HOME": str(self.home / "data"),
        }

    def write_settings(self, settings: dict[str, object]) -> None:
        self.user_settings.parent.mkdir(parents=True, exist_ok=True)
        self.user_settings.write_text(json.dumps(settings, indent=2))

    def install_extension(self, vsix: Path) -> str:
        done = subprocess.run(
            [*self._args(), "--install-extension", str(vsix)],
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"installing {vsix.name} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self, folder: Path) -> str:
        """Start serving `folder`; return the URL that opens it, once the server answers."""
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    *self._args(),
                    "--auth",
                    "none",
                    "--bind-addr",
                    f"127.0.0.1:{self.port}",
                    "--disable-telemetry",
                    "--disable-update-check",
                    "--disable-workspace-trust",
                    str(folder),
                ],
                env=self._env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"code-server exited:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return f"{base}/?folder={folder}"
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)  # polling the port, not waiting for an effect
        raise RuntimeError(
            f"code-server did not answer in {START_TIMEOUT_S}s:\n{self.log.read_text()}"
        )

    def stop(self) -> None:
        """Kill the whole process group: code-server, its extension host and the dbsense server."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None
