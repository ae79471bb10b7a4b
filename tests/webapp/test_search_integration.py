"""Search through records: what each person finds follows the one visibility rule, snippets
only for readable content, exact phone matches, upkeep on every change, and the canary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from records.handovers import Handover
from records.visibility import Access, access_to
from tests.canary import assert_absent


@pytest.fixture
def find(app, sample_handovers):
    svc = app.extensions["handover"]
    db = svc.session_factory()

    def run(login, query, **kw):
        return svc.finder(db).search(svc.accounts(db).get(login), query, **kw)

    yield run
    db.close()


def keys(found):
    return {i.key for i in found.items}


def test_recall_for_a_reader_with_snippets(find, sample_handovers):
    both = set(sample_handovers.values())
    assert keys(find("aca", "李浩然")) >= both  # full name
    assert keys(find("aca", "浩然")) >= both  # a two-character part
    assert keys(find("aca", "少儿编程")) == both  # a course
    hit = next(i for i in find("aca", "浩然").items if i.kind == "handover")
    assert "<mark>" in hit.snippet
    phone = find("enr", "13987654321")  # exact match through the keyed index
    assert [i.kind for i in phone.items] == ["student"] and "李浩然" in phone.items[0].title
    assert find("aca", "李浩然 NOT 少儿编程").total == 1  # only the student record remains


def test_no_leaks_to_those_who_may_not_see(find, sample_handovers):
    done = sample_handovers["done"]
    stranger = find("tea", done)
    assert stranger.total == 0 and stranger.items == []
    assert all(not counts for counts in stranger.facets.values())
    assert find("tea", "李浩然").total == 0
    sup = find("sup", done)  # supervision: the number and the deadline, never content
    assert keys(sup) == {done} and sup.items[0].snippet is None
    assert find("sup", "李浩然").total == 0 and find("sup", "少儿编程").total == 0


def test_search_agrees_with_the_visibility_rule(app, find, sample_handovers):
    svc = app.extensions["handover"]
    with svc.session_factory() as db:
        for login in ("enr", "aca", "tea", "sup"):
            staff = svc.accounts(db).get(login)
            for number in sample_handovers.values():
                h = db.query(Handover).filter_by(number=number).one()
                found = {i.key: i for i in find(login, number).items}
                access = access_to(staff, h)
                assert (number in found) == (access > Access.NONE), (login, number)
                if number in found:
                    assert (found[number].snippet is not None) == (access == Access.CONTENT)


def test_index_follows_changes_and_is_rebuilt_when_damaged(app, runner, find,
                                                           sample_handovers):
    waiting = sample_handovers["waiting"]
    assert find("aca", waiting, filters=None).items[0].meta["status"] == "submitted"
    r = runner.invoke(args=["list", "--as", "aca", "--json"])
    assert r.exit_code == 0
    # Damage at rest (a crash or a disk fault): readers closed, every segment cut in half.
    app.extensions["handover"].search_index.close()
    segments = list((Path(app.instance_path) / "search").rglob("*.seg"))
    assert segments
    for segment in segments:
        segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 2])
    assert keys(find("aca", "少儿编程")) == set(sample_handovers.values())
    out = runner.invoke(args=["reindex"])
    assert out.exit_code == 0 and "已重建索引" in out.output


def test_cli_search_and_malformed_query(runner, sample_handovers):
    out = runner.invoke(args=["search", "浩然", "--as", "aca", "--json"])
    assert out.exit_code == 0, out.output
    assert {i["key"] for i in json.loads(out.stdout)["items"]} >= set(sample_handovers.values())
    bad = runner.invoke(args=["search", '"李浩然', "--as", "aca"])
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    assert runner.invoke(args=["search", "x", "--as", "nobody"]).exit_code == 1


def test_canary_absent_from_the_index(app, find):
    find("aca", "李浩然")
    assert_absent(Path(app.instance_path) / "search",
                  ["李浩然", "13987654321", "少儿编程", "李娜"])
