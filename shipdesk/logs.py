"""Logging filters for the settings' LOGGING."""

from __future__ import annotations

import logging


class QuietEnqueued(logging.Filter):
    """Drops django-q2's "Enqueued [queue] id" line, logged at INFO for every job queued.

    A label queues its follow-up job while the merchant waits, and the line cost each label
    about 0.1 ms (formatting and writing it; ``make bench``: label_cost) for nothing anyone
    reads: a 500-label batch wrote 500 of them. What a job did is in the worker's lines and
    on its rows (a label's ``followed_up_at``). ``LOG_LEVEL=DEBUG`` keeps them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.levelno == logging.INFO
            and isinstance(record.msg, str)
            and record.msg.startswith("Enqueued [")
            and not logging.getLogger().isEnabledFor(logging.DEBUG)
        )
