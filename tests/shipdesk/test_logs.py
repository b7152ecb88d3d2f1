"""The log lines a job queue writes: one per job queued is dropped, the rest kept."""

from __future__ import annotations

import logging

import pytest


@pytest.fixture
def root_at(request):
    root = logging.getLogger()
    old = root.level
    yield root.setLevel
    root.setLevel(old)


def test_the_line_for_every_job_queued_is_dropped_and_the_workers_lines_are_kept(caplog, root_at):
    root_at(logging.INFO)
    queue = logging.getLogger("django-q")
    with caplog.at_level(logging.INFO):
        queue.info("Enqueued [django_q:shipdesk:q] 17")
        queue.info("Processed 'shipments.labels.after_purchase' (bought-17)")
        queue.error("Failed 'shipments.labels.after_purchase' (bought-18)")
    assert [r.getMessage() for r in caplog.records] == [
        "Processed 'shipments.labels.after_purchase' (bought-17)",
        "Failed 'shipments.labels.after_purchase' (bought-18)",
    ]


def test_log_level_debug_keeps_the_line_for_every_job_queued(caplog, root_at):
    root_at(logging.DEBUG)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("django-q").info("Enqueued [django_q:shipdesk:q] 17")
    assert [r.getMessage() for r in caplog.records] == ["Enqueued [django_q:shipdesk:q] 17"]
