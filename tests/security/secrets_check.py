"""Looking for a secret, or any 8-character piece of it, anywhere."""

from __future__ import annotations

from pathlib import Path


def pieces(secret: str, size: int = 8) -> list[str]:
    return [secret[i : i + size] for i in range(len(secret) - size + 1)]


def assert_nowhere(secret: str, *texts: str) -> None:
    for text in texts:
        leaked = [piece for piece in pieces(secret) if piece in text]
        assert not leaked, f"pieces of the secret leaked: {leaked[:3]}"


def assert_not_on_disk(secret: str, root: Path) -> None:
    for path in root.rglob("*"):
        assert_nowhere(secret, path.name)
        if path.is_file() and path.stat().st_size < 50_000_000:
            assert_nowhere(secret, path.read_bytes().decode("latin-1"))
