"""Import jobs: the upload page and the command share these; django-q2 runs big ones."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from orders import importing
from orders.models import ImportJob

PROGRESS_EVERY_ROWS = 200


def inline_limit() -> int:
    """Files with more data rows than this import in the background."""
    return settings.ORDERS_IMPORT_INLINE_MAX_ROWS


def start_import(job: ImportJob) -> ImportJob:
    """Run small imports now and queue large ones for a worker."""
    job.total_rows = importing.count_rows(job.content)
    if job.total_rows > inline_limit():
        job.status = ImportJob.Status.QUEUED
        job.save(update_fields=["total_rows", "status"])
        transaction.on_commit(
            lambda: async_task(
                "orders.jobs.run_import_job",
                job.pk,
                task_name=f"import-{job.pk}",
                sync=settings.ORDERS_JOBS_SYNC,
                cluster=settings.Q_LONG_CLUSTER,
            )
        )
        return job
    job.save(update_fields=["total_rows"])
    run_import_job(job.pk)
    job.refresh_from_db()
    return job


def run_import_job(job_id: int) -> dict:
    """The job: re-reads the ImportJob, imports it, records progress and every bad row."""
    job = ImportJob.objects.select_related("merchant").get(pk=job_id)
    if job.finished:
        return {"status": job.status}
    job.status = ImportJob.Status.RUNNING
    job.save(update_fields=["status"])

    def progress(done: int, result: importing.ImportResult) -> None:
        ImportJob.objects.filter(pk=job.pk).update(
            processed_rows=done,
            total_rows=max(job.total_rows, result.total_rows),
            created_count=result.created,
            updated_count=result.updated,
            error_count=len(result.errors),
        )

    try:
        result = importing.import_csv(job.merchant, job.content, progress=progress)
    except importing.MappingNeeded:
        job.status = ImportJob.Status.NEEDS_MAPPING
        job.save(update_fields=["status"])
        return {"status": job.status}
    except importing.UnreadableFile as exc:
        job.status, job.failure, job.finished_at = ImportJob.Status.FAILED, str(exc), timezone.now()
        job.save(update_fields=["status", "failure", "finished_at"])
        return {"status": job.status}
    except Exception as exc:
        job.status, job.finished_at = ImportJob.Status.FAILED, timezone.now()
        job.failure = (
            f"The import stopped unexpectedly ({type(exc).__name__}); orders saved so far are kept."
        )
        job.save(update_fields=["status", "failure", "finished_at"])
        raise
    job.status = ImportJob.Status.DONE
    job.total_rows = job.processed_rows = result.total_rows
    job.created_count, job.updated_count = result.created, result.updated
    job.error_count = len(result.errors)
    job.errors = importing.errors_for_storage(result.errors)
    job.content = ""  # the orders are in; don't keep customer data twice
    job.finished_at = timezone.now()
    job.save()
    return {"created": result.created, "updated": result.updated, "errors": job.error_count}


def check_addresses_after_import(merchant_id: int) -> None:
    """Queue the ship-to check of what an import brought in (R37a), once it is committed."""
    transaction.on_commit(
        lambda: async_task(
            "orders.addresses.check_unchecked",
            merchant_id,
            task_name=f"addresses-{merchant_id}-{timezone.now():%H%M%S%f}",
            sync=settings.ORDERS_JOBS_SYNC,
            cluster=settings.Q_LONG_CLUSTER,
        )
    )
