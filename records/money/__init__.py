"""The money (policy R-FIN, F2, F10-F13, T5): the payment ledger (缴费台账), the prepayment caps
checked at registration, the versioned refund rules and the refund case F10 → F13."""

from records.money import entries  # noqa: F401,E402  (the table, for records.models)
