"""The audit log: a hash-chained, security-focused record of who did what (issue 15, item 7).

`record` appends a row in the caller's transaction, so the row commits with the change it
records or not at all; `verify` walks the chain. See docs/architecture.md, "Audit log".
"""

from tasklane.audit.chain import GENESIS, Broken, record, verify

__all__ = ["GENESIS", "Broken", "record", "verify"]
