"""Filters a person keeps under a name for the handover list (kind, status, department, dates,
order: codes and dates only, never a private value, so they may travel in the list's URL,
policy C2). Each person's own: nobody lists, uses or deletes another's."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from records.clock import utcnow
from records.db import Base, UTCDateTime
from records.errors import FieldProblem, NotFound, ValidationFailed
from records.list_filter import ListFilter
from records.staff import Staff
from records.text_rules import bad_characters

__all__ = ["MAX_NAME", "MAX_SAVED", "SavedFilter", "SavedFilters"]

MAX_NAME = 30
MAX_SAVED = 30
"""Filters one person may keep (a list of links, not a store)."""


class SavedFilter(Base):
    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("staff_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    query: Mapped[str] = mapped_column(String(200))
    """The filter's query string (records.list_filter.ListFilter.args), URL-encoded."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SavedFilters:
    def __init__(self, session: Session, *, clock=utcnow):
        self.session, self.clock = session, clock

    def mine(self, staff: Staff) -> list[SavedFilter]:
        return list(self.session.scalars(select(SavedFilter).where(
            SavedFilter.staff_id == staff.id).order_by(SavedFilter.name)))

    def save(self, staff: Staff, name: str, chosen: ListFilter) -> SavedFilter:
        """Keep `chosen` under `name`; the same name again replaces the filter it names."""
        name = " ".join((name or "").split())
        problem = ("请填写筛选条件的名称。" if not name
                   else f"名称最多 {MAX_NAME} 个字。" if len(name) > MAX_NAME
                   else "名称含有不能使用的字符。" if bad_characters(name)
                   else "请先选择至少一个筛选条件或排序方式。" if chosen.empty else "")
        if problem:
            raise ValidationFailed([FieldProblem("filter_name", problem)])
        query = urlencode(chosen.args())
        row = self.session.scalar(select(SavedFilter).where(
            SavedFilter.staff_id == staff.id, SavedFilter.name == name).with_for_update())
        if row is not None:
            row.query = query
            return row
        kept = self.session.scalar(select(func.count(SavedFilter.id)).where(
            SavedFilter.staff_id == staff.id))
        if kept >= MAX_SAVED:
            raise ValidationFailed([FieldProblem(
                "filter_name", f"最多保存 {MAX_SAVED} 个筛选条件，请先删除不用的。")])
        row = SavedFilter(staff_id=staff.id, name=name, query=query, created_at=self.clock())
        self.session.add(row)
        self.session.flush()
        return row

    def delete(self, staff: Staff, filter_id: int) -> str:
        """Delete one of `staff`'s filters; its name. Someone else's is not found."""
        name = self.session.scalar(delete(SavedFilter).where(
            SavedFilter.id == filter_id, SavedFilter.staff_id == staff.id)
            .returning(SavedFilter.name))
        if name is None:
            raise NotFound("筛选条件", str(filter_id))
        return name
