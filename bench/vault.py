"""Vault benchmark: put/get throughput against raw AES-256-GCM on the same data, in the same
run, and the ledger's append latency. Prints a Markdown section and writes it to
docs/benchmarks/vault.md.

    .venv/bin/python bench/vault.py [--out docs/benchmarks/vault.md]

Targets (from the brief): get of 10 MiB at least half the speed of raw AES-GCM decryption;
ledger append median under 2 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vault import FileBlobStore, Keyring, Ledger, Vault  # noqa: E402

MiB = 1 << 20
SIZES = [(100 * 1024, 40), (10 * MiB, 12)]  # (object size, repetitions)
APPENDS = 1000


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _times(fn: Callable[[], object], repeat: int) -> list[float]:
    return [_time(fn) for _ in range(repeat)]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _rate(size: int, seconds: float) -> str:
    return f"{size / seconds / MiB:,.0f} MiB/s"


def bench_objects(vault: Vault) -> list[str]:
    rows = [
        "| size | raw AES-GCM encrypt | vault put | raw AES-GCM decrypt | vault get "
        "| get / raw decrypt | get without its ledger append | that / raw decrypt |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size, repeat in SIZES:
        data = os.urandom(size)
        aead = AESGCM(AESGCM.generate_key(bit_length=256))
        nonce = os.urandom(12)
        sealed = aead.encrypt(nonce, data, b"aad")
        enc, put, dec, get, read = [], [], [], [], []
        # interleaved, so that the load of the shared machine hits both sides alike
        for _ in range(repeat):
            enc.append(_time(lambda: aead.encrypt(nonce, data, b"aad")))  # noqa: B023
            start = time.perf_counter()
            object_id = vault.put(data, actor="bench", reason="r")
            put.append(time.perf_counter() - start)
            dec.append(_time(lambda: aead.decrypt(nonce, sealed, b"aad")))  # noqa: B023
            get.append(_time(lambda: vault.get(object_id, actor="bench", reason="r")))  # noqa: B023
            # the read path alone: key record, sealed tag, mapped file, decryption; no ledger
            read.append(_time(lambda: vault._read(object_id)))  # noqa: B023
        enc_m, put_m, dec_m, get_m, read_m = map(statistics.median, (enc, put, dec, get, read))
        rows.append(
            f"| {size // 1024:,} KiB | {_rate(size, enc_m)} | {_rate(size, put_m)}"
            f" ({put_m * 1e3:.1f} ms) | {_rate(size, dec_m)} | {_rate(size, get_m)}"
            f" ({get_m * 1e3:.1f} ms) | {dec_m / get_m:.2f} | {_rate(size, read_m)}"
            f" ({read_m * 1e3:.1f} ms) | {dec_m / read_m:.2f} |"
        )
    return rows


def bench_ledger(ledger: Ledger) -> tuple[list[str], float]:
    def append() -> None:
        ledger.append(actor="bench", action="bench.append", subject="x")

    times = _times(append, APPENDS)
    median = statistics.median(times)
    with ledger.batch():  # the same appends without their per-append sync: the CPU part
        batched = _times(append, APPENDS)
    rows = [
        f"- ledger append ({APPENDS} appends, each synced to disk (line and head) and the head "
        f"re-signed): median {median * 1e3:.2f} ms, p95 {_pct(times, 0.95) * 1e3:.2f} ms, "
        f"max {max(times) * 1e3:.1f} ms",
        f"- the same inside one `batch()` (no per-append sync, one head signature): median "
        f"{statistics.median(batched) * 1e3:.3f} ms, p95 {_pct(batched, 0.95) * 1e3:.3f} ms",
    ]
    return rows, median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks" / "vault.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vault-bench-") as tmp:
        root = Path(tmp)
        keyring = Keyring.open(root / "keys", create=True)
        ledger = Ledger(root / "ledger", keyring)
        vault = Vault(FileBlobStore(root / "objects"), keyring, ledger)
        object_rows = bench_objects(vault)
        ledger_rows, _median = bench_ledger(ledger)
        assert ledger.verify().ok
    load = os.getloadavg()[0]
    lines = [
        "## Vault",
        "",
        f"Command: `.venv/bin/python bench/vault.py` on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load:.1f} at the end (the machine is shared). Medians; raw AES-GCM "
        "is measured on the same data in the same run.",
        "",
        "A put writes the object file and its key record (each: temp file, fsync, link, "
        "folder fsync) and one ledger entry; a get reads both, checks the sealed tag, "
        "decrypts and appends one ledger entry (fsynced) before returning.",
        "",
        *object_rows,
        "",
        *ledger_rows,
        "",
    ]
    text = "\n".join(lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
