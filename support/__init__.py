"""The support console at /support/: search any merchant, read its state, audit every look-up.

Read-only by design: no view here changes merchant data; the only rows written are
``AuditLog`` entries, one per request.
"""
