"""Oversight records of the supervision group and management: rectification notices (整改通知,
policy S1), the register of commendations and sanctions (奖惩登记, policy S3) and parent
complaints (家长投诉登记, the facts S2/S3 assessment rests on). Free text only as ciphertext."""

from records.oversight.complaint_model import ComplaintState, FaultFinding, ParentComplaint
from records.oversight.complaints import Complaints, complaints_against, may_record_complaint
from records.oversight.notice_model import NoticeEvent, NoticeState, RectificationNotice
from records.oversight.notices import Notices, is_recipient, may_issue
from records.oversight.register import EntryKind, Register, RegisterEntry, may_decide

__all__ = [
    "ComplaintState", "Complaints", "EntryKind", "FaultFinding", "NoticeEvent", "NoticeState",
    "Notices", "ParentComplaint", "RectificationNotice", "Register", "RegisterEntry",
    "complaints_against", "is_recipient", "may_decide", "may_issue", "may_record_complaint",
]
