"""django-q2 jobs of the end of day (scheduled by migration 0002)."""

from __future__ import annotations

from endofday import scan_forms


def create_automatic_scan_forms() -> int:
    """Every few minutes: the SCAN forms of locations whose cut-off has come (R30, R31)."""
    return len(scan_forms.run_automatic_scan_forms())
