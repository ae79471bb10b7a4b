"""records.address_limit on both databases: failures arriving at once are each counted, the
limit refuses until the window ends, and a new window starts afresh."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from records.address_limit import AddressLimit, AddressThrottle
from records.db import make_engine, make_session_factory, migrate

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_concurrent_failures_are_each_counted_and_the_window_ends(db_url):
    engine = make_engine(db_url)
    migrate(engine)
    sessions = make_session_factory(engine)
    limit = AddressLimit(max_failures=40, window_minutes=15)
    start = threading.Barrier(8)

    def fail(i):
        if i < 8:
            start.wait()
        with sessions() as db:
            limit.count_failure(db, "203.0.113.7", NOW)
            db.commit()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(fail, range(39)))
    with sessions() as db:
        assert db.get(AddressThrottle, "203.0.113.7").failures == 39
        assert limit.refused_until(db, "203.0.113.7", NOW) is None
        limit.count_failure(db, "203.0.113.7", NOW + timedelta(minutes=1))
        db.commit()
        until = limit.refused_until(db, "203.0.113.7", NOW + timedelta(minutes=2))
        assert until == NOW + timedelta(minutes=15)
        assert limit.refused_until(db, "198.51.100.9", NOW) is None
        after = NOW + timedelta(minutes=15)
        assert limit.refused_until(db, "203.0.113.7", after) is None
        limit.count_failure(db, "203.0.113.7", after)
        db.commit()
        row = db.get(AddressThrottle, "203.0.113.7")
        db.refresh(row)
        assert (row.failures, row.window_ends_at) == (1, after + timedelta(minutes=15))
    engine.dispose()
