"""What the backup and restore tests share: an empty instance (never initialised, as an
administrator starts a restore) and a passphrase file."""

from __future__ import annotations

from pathlib import Path

PASSPHRASE = "rain on the west lake 2026"


def empty_app(folder: Path, **config):
    """An app on `folder` that nothing has initialised: no keys, no PKI, no schema."""
    from webapp import create_app

    return create_app({"INSTANCE": folder, "TESTING": True, "PASSWORD_HASH_COST": "low",
                       **config})


def passphrase_file(folder: Path, passphrase: str = PASSPHRASE) -> Path:
    path = folder / f"passphrase-{len(list(folder.glob('passphrase-*')))}.txt"
    path.write_text(passphrase + "\n", encoding="utf-8")
    return path
