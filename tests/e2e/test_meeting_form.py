"""The new-handover form in a real browser: the meeting record (policy M3) appears only when
the face-to-face method is chosen."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_meeting_record_shows_only_for_face_to_face(page, live_server, sample_handovers,
                                                    passwords, sign_in_page):
    sign_in_page("enr", passwords["enr"])
    page.goto(f"{live_server}/handovers/new/F2")
    assert not page.locator("#meeting-record").is_visible()
    page.check("#method-M3")
    assert page.locator("#meeting-record").is_visible()
    page.check("#method-M1")
    assert not page.locator("#meeting-record").is_visible()
