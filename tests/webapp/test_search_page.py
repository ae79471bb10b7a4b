"""The search page: the query is POSTed (it may name a student) and the results have an address
of their own without it; results and counts only from what the viewer may see, highlighted
snippets, a clear message for a malformed query."""

from __future__ import annotations

import re


def search_token(client):
    page = client.get("/search/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_search_page_shows_only_what_the_viewer_may_see(sample_handovers, passwords,
                                                        login_client):
    aca = login_client("aca", passwords["aca"])
    token = search_token(aca)
    r = aca.post("/search/", data={"csrf_token": token, "q": "浩然"}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert sample_handovers["done"] in html and "<mark>" in html
    assert re.search(r'value="F2"\s*>\s*F2 [^<]*<span class="count">2</span>', html)
    assert "浩然" not in (r.request.url or "")

    tea = login_client("tea", passwords["tea"])
    token = search_token(tea)
    html = tea.post("/search/", data={"csrf_token": token, "q": sample_handovers["done"]},
                    follow_redirects=True).get_data(as_text=True)
    assert "共 0 条结果" in html and sample_handovers["done"] not in html.split("</form>")[0] \
        .split('id="result-count"')[-1]


def test_malformed_query_is_a_clear_400(sample_handovers, passwords, login_client):
    client = login_client("aca", passwords["aca"])
    token = search_token(client)
    r = client.post("/search/", data={"csrf_token": token, "q": '"未闭合的引号'},
                    follow_redirects=True)
    assert r.status_code == 400 and 'id="search-error"' in r.get_data(as_text=True)


def test_get_never_runs_a_query_from_the_url(sample_handovers, passwords, login_client):
    client = login_client("aca", passwords["aca"])
    html = client.get("/search/?q=浩然").get_data(as_text=True)
    assert "<mark>" not in html and "共" not in html


def test_broad_results_say_they_are_newest_first(sample_handovers, passwords, login_client,
                                                 monkeypatch):
    """Above the engine's ranking limit (1,000 matches; lowered here to make two enough)
    results come newest first, and the page says so."""
    aca = login_client("aca", passwords["aca"])
    data = {"csrf_token": search_token(aca), "q": "浩然"}
    first = aca.post("/search/", data=data, follow_redirects=True).get_data(as_text=True)
    assert 'id="ranked-by-date"' not in first
    monkeypatch.setattr("search._whoosh.engine.RANK_LIMIT", 1)
    html = aca.post("/search/", data=data, follow_redirects=True).get_data(as_text=True)
    assert 'id="ranked-by-date"' in html and "按时间从新到旧" in html
    first, second = (html.index(sample_handovers[k]) for k in ("done", "waiting"))
    assert first < second  # "done" was submitted today, "waiting" in March


def test_a_result_shows_its_deadline_in_school_time(sample_handovers, passwords, login_client):
    """The index keeps times in UTC; the page shows them as the school's clock reads them
    (the "waiting" F2 is due 2026-03-03 18:00 Beijing time, 10:00 UTC)."""
    aca = login_client("aca", passwords["aca"])
    html = aca.post("/search/", data={"csrf_token": search_token(aca),
                                      "q": sample_handovers["waiting"]},
                    follow_redirects=True).get_data(as_text=True)
    assert sample_handovers["waiting"] in html
    assert "截止 2026-03-03 18:00" in html and "2026-03-03 10:00" not in html


def test_results_have_an_address_without_the_terms_for_their_owner_only(
        sample_handovers, passwords, login_client):
    """Back and reload return to the results (issue 14) and the address names no term (C2)."""
    aca = login_client("aca", passwords["aca"])
    r = aca.post("/search/", data={"csrf_token": search_token(aca), "q": "浩然", "kind": "F2"})
    assert r.status_code == 303
    where = r.headers["Location"]
    assert re.fullmatch(r"/search/r/[\w-]{20,}", where) and "F2" not in where
    first, again = (aca.get(where).get_data(as_text=True) for _ in range(2))  # a reload
    assert sample_handovers["done"] in first and "<mark>" in first
    assert first.count('class="card result"') == again.count('class="card result"') > 0
    assert 'value="F2"' in first and re.search(r'value="F2"\s*checked', first)
    other = login_client("enr", passwords["enr"])
    r = other.get(where)  # someone else's results: not theirs to see
    assert r.status_code == 302 and r.headers["Location"] == "/search/"
    assert "过期" in other.get("/search/").get_data(as_text=True)
    assert aca.get("/search/r/" + "x" * 500).status_code == 302
