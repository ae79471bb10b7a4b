"""Properties of the refund calculator (records.money.refund_rules), checked with hypothesis
over bounded inputs (issue 13): never negative, never above what was paid, all of it before the
start, and never more for more hours delivered; then the worked examples of the rules."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from records.money.amounts import FEN_MAX
from records.money.refund_rules import Cause, RefundInputs, compute, unit_price_fen

# Bounded: amounts up to the ledger's largest (FEN_MAX), hours up to a long course; a few
# hundred examples per property keep the file under a couple of seconds.
BOUNDED = settings(max_examples=300, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow])
fen = st.integers(min_value=0, max_value=FEN_MAX)
hours = st.integers(min_value=0, max_value=2_000)
prices = st.integers(min_value=0, max_value=1_000_000)
inputs = st.builds(RefundInputs, paid=fen, hours_delivered=hours, unit_price=prices,
                   non_refundable=fen, started=st.booleans(), cause=st.sampled_from(Cause))


@BOUNDED
@given(inputs)
def test_never_negative_and_never_above_paid(case):
    assert 0 <= compute(case).amount <= case.paid


@BOUNDED
@given(inputs)
def test_everything_back_before_the_start(case):
    before = RefundInputs(case.paid, case.hours_delivered, case.unit_price,
                          case.non_refundable, started=False, cause=case.cause)
    assert compute(before).amount == case.paid
    assert compute(RefundInputs(case.paid, 0, case.unit_price, case.non_refundable,
                                started=True, cause=case.cause)).amount == case.paid


@BOUNDED
@given(inputs, hours, hours)
def test_more_hours_delivered_never_refund_more(case, a, b):
    fewer, more = sorted((a, b))

    def refund(delivered: int) -> int:
        return compute(RefundInputs(case.paid, delivered, case.unit_price,
                                    case.non_refundable, True, case.cause)).amount

    assert refund(more) <= refund(fewer)


@BOUNDED
@given(inputs)
def test_the_formula_prints_the_result_and_the_version(case):
    result = compute(case)
    assert result.version == "2026.1"
    assert f"{result.amount // 100}.{result.amount % 100:02d} 元" in result.formula_zh


def test_after_start_paid_less_hours_and_items():
    result = compute(RefundInputs(paid=468050, hours_delivered=12, unit_price=9751,
                                  non_refundable=10000))
    assert result.amount == 468050 - 12 * 9751 - 10000
    assert result.version == "2026.1" and "12 课时 × 97.51" in result.formula_zh


def test_school_cancelling_keeps_only_the_hours_given():
    inputs = RefundInputs(paid=100000, hours_delivered=5, unit_price=10000, non_refundable=9000,
                          cause=Cause.SCHOOL_CANCELLED)
    assert compute(inputs).amount == 50000


def test_the_issue_case_cannot_refund_more_than_paid():
    # issue 13: 1,000 paid and 5 × 100 completed accepted a refund of 9,999.99
    assert compute(RefundInputs(paid=100000, hours_delivered=5, unit_price=10000)).amount \
        == 50000


def test_unit_price_is_rounded_down_in_the_familys_favour():
    assert unit_price_fen(468050, 48) == 9751 and unit_price_fen(100, 0) == 0
