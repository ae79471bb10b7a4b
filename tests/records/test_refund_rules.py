"""Properties of the refund calculator (records.money.refund_rules). hypothesis is not in the
project's environment: the properties are checked over a seeded sweep of random inputs plus
the edges, the same inputs on every run."""

from __future__ import annotations

import random

import pytest

from records.money.refund_rules import Cause, RefundInputs, compute, unit_price_fen

RNG = random.Random(20261201)
CASES = [RefundInputs(paid=RNG.choice([0, 1, 99, RNG.randrange(0, 10**9)]),
                      hours_delivered=RNG.randrange(0, 200),
                      unit_price=RNG.choice([0, 1, RNG.randrange(0, 10**6)]),
                      non_refundable=RNG.choice([0, RNG.randrange(0, 10**7)]),
                      started=RNG.random() < 0.8, cause=RNG.choice(list(Cause)))
         for _ in range(3000)]


@pytest.mark.parametrize("chunk", range(3))
def test_never_negative_and_never_above_paid(chunk):
    for inputs in CASES[chunk::3]:
        amount = compute(inputs).amount
        assert 0 <= amount <= inputs.paid, inputs


def test_everything_back_before_the_start():
    for inputs in CASES:
        before = RefundInputs(inputs.paid, 0, inputs.unit_price, inputs.non_refundable,
                              started=False, cause=inputs.cause)
        assert compute(before).amount == inputs.paid


def test_more_hours_delivered_never_refund_more():
    for inputs in CASES[:1000]:
        amounts = [compute(RefundInputs(inputs.paid, h, inputs.unit_price,
                                        inputs.non_refundable, True, inputs.cause)).amount
                   for h in range(0, 80, 7)]
        assert amounts == sorted(amounts, reverse=True), inputs


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
