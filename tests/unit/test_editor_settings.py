"""Editor settings for live connections: parsed from the client's payload, reported without
their value when malformed, and never part of a repr."""

from __future__ import annotations

from dbsense.server.settings import EditorSettings


def test_live_urls_are_read_from_the_live_object() -> None:
    settings = EditorSettings.parse(
        {
            "live": {
                "databaseUrl": "postgresql://reader:pw-1@db/app",
                "redisUrl": "",
                "mongoUrl": None,
            }
        }
    )
    assert settings.database_url == "postgresql://reader:pw-1@db/app"
    assert (settings.redis_url, settings.mongo_url, settings.problems) == (None, None, [])


def test_a_malformed_url_is_reported_without_its_value() -> None:
    settings = EditorSettings.parse({"live": {"databaseUrl": {"password": "pw-2"}}})
    assert settings.database_url is None
    assert settings.problems == ["dbsense.live.databaseUrl must be a connection URL string"]


def test_urls_never_appear_in_a_repr() -> None:
    settings = EditorSettings.parse(
        {"live": {"databaseUrl": "postgresql://u:pw-3@db/app", "redisUrl": "redis://:pw-4@r"}}
    )
    assert "pw-3" not in repr(settings) and "pw-4" not in repr(settings)
