"""The ledger in PostgreSQL (issue 15): appends from several servers (here: engines, threads
and processes) form one unbroken chain; an entry written in a transaction that rolls back is
gone with it; a row edited behind the ledger's back is named by verify."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import create_engine, text, update

from vault import DbLedger, Keyring, LedgerUnavailable
from vault.ledger_db import LEDGER_ENTRY


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_two_servers_appending_from_threads_give_one_chain(pg_engine, keyring):
    """Two DbLedger objects on two engines stand for two app servers; 4 threads each."""
    other = create_engine(_url(pg_engine))
    servers = [DbLedger(pg_engine, keyring), DbLedger(other, keyring)]
    threads, per_thread = 8, 25
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        barrier.wait()
        try:
            for n in range(per_thread):
                servers[i % 2].append(actor=f"s{i % 2}", action="test.append",
                                      subject=f"{i}-{n}")
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    other.dispose()
    assert errors == []
    total = threads * per_thread
    result = servers[0].verify()
    assert (result.ok, result.count, result.head_seq) == (True, total, total)
    entries = list(servers[0].entries())
    assert [e.seq for e in entries] == list(range(1, total + 1))
    assert set(Counter(e.subject for e in entries).values()) == {1}
    assert {e.actor for e in entries} == {"s0", "s1"}


def _process_appends(url: str, keys, tag: str, count: int) -> None:
    engine = create_engine(url)  # a server of its own: no connection shared with the parent
    ledger = DbLedger(engine, Keyring.open(keys))
    try:
        for n in range(count):
            ledger.append(actor=tag, action="test.append", subject=f"{tag}-{n}")
    except BaseException:  # noqa: BLE001
        os._exit(1)
    os._exit(0)


def test_processes_appending_concurrently_give_one_chain(pg_engine, keyring):
    processes, per_process = 3, 40
    pg_engine.dispose()  # no pooled connection crosses the fork
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_process_appends,
                         args=(_url(pg_engine), keyring.root, f"p{p}", per_process))
             for p in range(processes)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * processes
    ledger = DbLedger(pg_engine, keyring)
    result = ledger.verify()
    total = processes * per_process
    assert (result.ok, result.count, result.head_seq) == (True, total, total)
    assert Counter(e.actor for e in ledger.entries()) == {f"p{p}": per_process
                                                          for p in range(processes)}


def test_entry_in_a_rolled_back_transaction_leaves_nothing(pg_engine, keyring):
    ledger = DbLedger(pg_engine, keyring)
    ledger.append(actor="u", action="before")
    with pg_engine.connect() as conn:
        with conn.begin() as tx:
            ledger.append_in(conn, [{"actor": "u", "action": "handover.countersign"}])
            tx.rollback()  # the request failed after its state change
    assert [e.action for e in ledger.entries()] == ["before"]
    assert ledger.append(actor="u", action="after").seq == 2
    result = ledger.verify()
    assert (result.ok, result.count) == (True, 2)
    with pg_engine.begin() as conn:  # committed: the entry is there, with the change
        ledger.append_in(conn, [{"actor": "u", "action": "a"}, {"actor": "u", "action": "b"}])
    assert [e.action for e in ledger.entries()] == ["before", "after", "a", "b"]
    assert ledger.verify().ok


def test_a_read_logged_while_a_change_waits_to_commit(pg_engine, keyring):
    """The head row is locked from `append_in` to the commit: another server's append waits
    for it, then follows it in the chain."""
    ledger = DbLedger(pg_engine, keyring)
    ledger.append(actor="u", action="before")
    done = threading.Event()
    with pg_engine.begin() as conn:
        ledger.append_in(conn, [{"actor": "u", "action": "change"}])
        reader = threading.Thread(target=lambda: (ledger.append(actor="v", action="read"),
                                                  done.set()))
        reader.start()
        assert not done.wait(0.5)  # waits for the change's transaction
    reader.join(10)
    assert done.is_set()
    assert [(e.seq, e.action) for e in ledger.entries()] == [
        (1, "before"), (2, "change"), (3, "read")]
    assert ledger.verify().ok


def test_a_column_edited_behind_the_ledger_is_named(pg_engine, keyring):
    """The filter columns are copies of the hashed line: an edit of one alone is found too."""
    ledger = DbLedger(pg_engine, keyring)
    for i in range(5):
        ledger.append(actor=f"u-{i}", action="vault.get", subject=f"obj-{i}")
    with pg_engine.begin() as conn:
        conn.execute(update(LEDGER_ENTRY).where(LEDGER_ENTRY.c.seq == 3).values(actor="u-9"))
    result = ledger.verify()
    assert not result.ok and result.first_bad == 3 and "列" in result.reason
    assert [e.seq for e in ledger.entries(actor="u-9")] == [3]  # what a filter would believe


def test_unreachable_table_fails_closed(pg_engine, keyring):
    ledger = DbLedger(pg_engine, keyring)
    ledger.append(actor="u", action="before")
    with pg_engine.begin() as conn:
        conn.execute(text("ALTER TABLE ledger_head RENAME TO ledger_head_gone"))
    with pytest.raises(LedgerUnavailable) as info:
        ledger.append(actor="u", action="x")
    assert info.value.path == ledger.path and "ledger_head" in info.value.cause


def test_concurrent_appends_share_commits(pg_engine, keyring):
    """Group commit: the head row is held across a commit's WAL flush, so threads queue behind
    it and the next one commits them all; each append still returns committed."""
    from sqlalchemy import event

    ledger = DbLedger(pg_engine, keyring)
    commits = []

    def slow_disk(conn) -> None:  # a commit that takes a while, as on a busy disk
        commits.append(1)
        time.sleep(0.01)

    event.listen(pg_engine, "commit", slow_disk)
    threads, per_thread = 8, 20
    not_committed: list[int] = []

    def work() -> None:
        for _ in range(per_thread):
            entry = ledger.append(actor="t", action="test.append")
            with pg_engine.connect() as conn:  # visible to another connection: committed
                if conn.scalar(text("SELECT count(*) FROM ledger_entry WHERE seq = :s"),
                               {"s": entry.seq}) != 1:
                    not_committed.append(entry.seq)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    total = threads * per_thread
    assert not_committed == []
    assert ledger.verify().count == total
    assert len(commits) < total * 0.8, (len(commits), total)
