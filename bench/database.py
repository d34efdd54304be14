"""Fresh databases for the benchmark: an empty schema before each import run.

A PostgreSQL URL given to ``--database`` must be a scratch database: its ``public``
schema is dropped and made again.
"""

from pathlib import Path

from sqlalchemy import text
from sqlmodel import SQLModel

__all__ = ["fresh_schema", "sibling_url"]


def sibling_url(url: str, name: str) -> str:
    """Another SQLite file beside ``url`` (PostgreSQL: the same database)."""
    if not url.startswith("sqlite:///"):
        return url
    path = Path(url.removeprefix("sqlite:///"))
    return f"sqlite:///{path.with_name(f'{path.stem}-{name}{path.suffix}')}"


def fresh_schema(url: str) -> None:
    """Drop everything at ``url`` and create the app's tables (SQLModel metadata)."""
    import audit_app.models  # noqa: F401  (registers every table)
    from audit_app.db import make_engine

    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        engine = make_engine(url)
    else:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    try:
        SQLModel.metadata.create_all(engine)
    finally:
        engine.dispose()
