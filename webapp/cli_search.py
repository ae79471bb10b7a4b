"""`handover search` and `handover reindex`."""

from __future__ import annotations

import json
import re

import click
from flask.cli import with_appcontext

from records.finding import behind_zh
from search import QuerySyntaxError
from webapp import services
from webapp.cli import acting, domain_errors
from webapp.db import get_db

__all__ = ["COMMANDS"]

_TAGS = re.compile(r"</?mark>")


@click.command("search")
@click.argument("query")
@click.option("--as", "login", required=True, help="Search as this user (login name).")
@click.option("--page", default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="The results as JSON.")
@with_appcontext
@domain_errors
def search_command(query, login, page, as_json):
    """Search handovers and students as USER would: only what USER may see."""
    staff = acting(login)
    try:
        found = services().finder(get_db()).search(staff, query, page=page)
    except QuerySyntaxError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps({
            "total": found.total, "page": found.page, "pages": found.pages,
            "facets": found.facets,
            "behind_seconds": found.behind and int(found.behind.total_seconds()),
            "items": [{"kind": i.kind, "key": i.key, "title": i.title, "snippet": i.snippet}
                      for i in found.items]}, ensure_ascii=False, indent=1))
        return
    for item in found.items:
        click.echo(f"{item.title}")
        if item.snippet:
            click.echo("    " + _TAGS.sub("", item.snippet).replace("\n", " "))
    click.echo(f"共 {found.total} 条结果（第 {found.page}/{max(found.pages, 1)} 页）。", err=True)
    if found.behind is not None:
        click.echo(f"{behind_zh(found.behind)}，最近的更改可能尚未出现在结果中。", err=True)


@click.command("reindex")
@with_appcontext
def reindex_command():
    """Rebuild the search index from the database (private fields decrypted in memory)."""
    svc = services()
    indexer = svc.indexer()
    start = indexer.snapshot(get_db())  # the outbox position, before the documents are read
    docs = list(svc.finder(get_db()).documents())
    with click.progressbar(length=len(docs), label="重建搜索索引") as bar:
        svc.search_index.rebuild(docs, progress=lambda n: bar.update(n - bar.pos))
    indexer.rebuilt_from(start)
    click.echo(f"已重建索引：{len(docs)} 个文档。")


COMMANDS = [search_command, reindex_command]
