from __future__ import annotations

import os

import pytest
from django_q.models import Success
from django_q.tasks import async_task

from tests.support import qcluster, wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_job_enqueued_through_the_broker_is_run_by_a_real_worker(tmp_path):
    marker = tmp_path / "worker.pid"
    task_id = async_task("front.tasks.record_worker_pid", str(marker))
    with qcluster(clusters=("",)) as workers:
        wait_for(
            lambda: Success.objects.filter(id=task_id).exists(), "the job's result", 60, workers
        )
    worker_pid = int(marker.read_text())
    assert worker_pid != os.getpid()
    assert Success.objects.get(id=task_id).result == worker_pid
