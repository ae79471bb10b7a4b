"""`handover owed` and `handover obligations waive`: what each person owes before anyone has
made it (policy T1a-T5b), for scripts and the supervision group (policy S1)."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup, with_appcontext

from records.clock import utcnow
from records.deadlines import SCHOOL_TZ
from records.owed_list import owed_rows
from webapp import services
from webapp.cli import acting, domain_errors
from webapp.db import get_db

__all__ = ["COMMANDS", "obligations_of"]


def obligations_of():
    """The obligations service, with what time has made owed derived first."""
    obligations = services().workflow(get_db()).obligations
    obligations.refresh(utcnow())
    return obligations


@click.command("owed")
@click.option("--as", "login", required=True, help="Act as this user (login name).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@with_appcontext
@domain_errors
def owed_command(login, as_json):
    """What USER owes (their own and their department's unassigned obligations), due first."""
    me = acting(login)
    now = utcnow()
    rows = owed_rows(get_db(), obligations_of().owed_by(me), now,
                     calendar=services().calendar)
    for r in rows:
        if as_json:
            click.echo(json.dumps(r.as_dict(), ensure_ascii=False))
            continue
        due = r.obligation.due_at.astimezone(SCHOOL_TZ)
        click.echo(f"#{r.obligation.id}  {r.obligation.kind:<4} {r.kind_name}  {r.subject}  "
                   f"（制度 {r.obligation.clause}）  截止 {due:%Y-%m-%d %H:%M}  {r.due_text}")
    if not as_json:
        click.echo(f"共 {len(rows)} 项应交。", err=True)
    get_db().commit()


obligations_group = AppGroup("obligations", help="Obligations: handovers owed (policy T).")


@obligations_group.command("waive")
@click.argument("obligation_id", type=int)
@click.option("--as", "login", required=True, help="Act as this user (ACA or management).")
@click.option("--reason", required=True, help="Why it is not owed (recorded, encrypted).")
@with_appcontext
@domain_errors
def waive_command(obligation_id, login, reason):
    """Waive an open obligation with a reason (academic affairs or management only)."""
    me = acting(login)
    try:
        ob = services().workflow(get_db()).obligations.waive(me, obligation_id, reason)
    finally:
        get_db().commit()  # a refusal's ledger entry stands; nothing else was written
    click.echo(f"应交事项 #{ob.id}（{ob.kind}）已免除。")


COMMANDS = [owed_command, obligations_group]
