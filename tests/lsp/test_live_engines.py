"""Live Redis/MongoDB checks from the editor: settings `dbsense.live.*` and the on-demand
command `dbsense.runLiveChecks`, against a real redis-server."""

from __future__ import annotations

from pathlib import Path

import redis
from lsprotocol import types

from tests.lsp.conftest import Client, start
from tests.support.services import RedisServer, free_port


async def run_live_checks(client: Client) -> str:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="dbsense.runLiveChecks")
    )


async def test_live_redis_checks_from_settings(
    client: Client, project: Path, redis_server: RedisServer
):
    connection = redis.Redis.from_url(redis_server.url)
    connection.flushdb()
    connection.set("cache:user:1", "{}")
    try:
        await start(client, project, options={"live": {"redisUrl": redis_server.url}})
        report = await run_live_checks(client)
    finally:
        connection.flushdb()
    assert report.startswith("# Live checks")
    assert f"## Redis `{redis_server.url}`" in report
    assert "- **RD301**" in report


async def test_unreachable_server_is_one_line_without_the_password(client: Client, project: Path):
    url = f"redis://admin:s3cret@127.0.0.1:{free_port()}/0"
    await start(client, project, options={"live": {"redisUrl": url}})
    report = await run_live_checks(client)
    assert "**live check unavailable** (DBS006)" in report
    assert "s3cret" not in report


async def test_without_live_settings_the_command_says_how_to_configure(
    client: Client, project: Path
):
    await start(client, project)
    assert "No live connection is configured" in await run_live_checks(client)
