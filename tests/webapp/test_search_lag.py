"""A search says how far its server's replica of the index is behind (issue 15): "索引落后 N 秒"
when the oldest change it has not applied is over a second old, nothing once it caught up."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from records.clock import utcnow
from records.handovers import Handover
from records.search_outbox import Op, enqueue
from tests.conftest import make_app


@pytest.fixture
def app(tmp_path, populated_template):
    """The populated school, its index fed by the outbox."""
    app = make_app(tmp_path / "instance", populated_template.folder, SEARCH_UPDATES="outbox")
    yield app
    app.extensions["handover"].close()


def search_page(client, query: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/search/").get_data(as_text=True)).group(1)
    result = client.post("/search/", data={"csrf_token": token, "q": query},
                         follow_redirects=True)
    assert result.status_code == 200
    return result.get_data(as_text=True)


def test_the_search_page_says_how_far_the_index_is_behind(app, sample_handovers, passwords,
                                                          login_client):
    svc = app.extensions["handover"]
    indexer = svc.indexer()
    indexer.run_once()
    aca = login_client("aca", passwords["aca"])
    page = search_page(aca, "少儿编程")
    assert "索引落后" not in page and sample_handovers["waiting"] in page
    with svc.session_factory() as db:  # a change five seconds ago that this server lacks
        handover = db.scalar(select(Handover).where(
            Handover.number == sample_handovers["waiting"]))
        enqueue(db, f"h{handover.id}", Op.UPSERT, utcnow() - timedelta(seconds=5))
        db.commit()
    page = search_page(aca, "少儿编程")
    lag = re.search(r'id="index-behind">索引落后 (\d+) 秒', page)
    assert lag and 5 <= int(lag.group(1)) <= 30, page[-2000:]
    assert sample_handovers["waiting"] in page  # the results themselves are as before
    cli = app.test_cli_runner()
    said = cli.invoke(args=["search", "少儿编程", "--as", "aca"])
    assert re.search(r"索引落后 \d+ 秒", said.stderr)
    assert indexer.run_once().applied == 1
    assert "索引落后" not in search_page(aca, "少儿编程")
    said = cli.invoke(args=["search", "少儿编程", "--as", "aca"])
    assert said.exit_code == 0 and "索引落后" not in said.stderr
