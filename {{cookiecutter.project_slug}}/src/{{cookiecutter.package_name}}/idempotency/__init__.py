"""Idempotency keys (`Idempotency-Key`): a retried request gets the first answer, once made."""
