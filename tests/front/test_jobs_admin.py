"""django-q2's admin pages: only a superuser changes a schedule or runs a job again, and no
page shows a secret (jobs carry ids, and a label's follow-up its redacted call records)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django_q.models import Failure, OrmQ, Schedule, Success, Task

from carriers.models import CarrierAccount, CarrierCall
from tests.conftest import SANDBOX_PASSWORD
from tests.factories import admin_url, make_ship_from, make_user

JOB_MODELS = [Schedule, Success, Failure, OrmQ]


def staff_client(*codenames: str) -> Client:
    user = make_user(f"staff-{len(codenames)}@shipdesk.test")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(user)
    return client


def schedule_form(schedule: Schedule, **changes) -> dict:
    return {
        "name": schedule.name,
        "func": schedule.func,
        "hook": "",
        "args": "",
        "kwargs": "",
        "schedule_type": schedule.schedule_type,
        "minutes": schedule.minutes or "",
        "repeats": "-1",
        "next_run_0": f"{schedule.next_run:%Y-%m-%d}",
        "next_run_1": f"{schedule.next_run:%H:%M:%S}",
        "cron": "",
        "cluster": schedule.cluster or "",
        "intended_date_kind": "",
        **changes,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("permissions", [(), ("view_schedule", "change_schedule", "add_schedule")])
def test_only_a_superuser_changes_a_schedule(admin_client, permissions):
    # A schedule runs any importable function with any arguments as ShipDesk.
    schedule = Schedule.objects.order_by("pk").first()
    assert schedule is not None  # the apps' migrations make their sweeps' schedules
    client = staff_client(*permissions)
    change = admin_url(Schedule, "change", schedule.pk)
    hostile = schedule_form(schedule, func="os.system", args="'touch /tmp/owned'")
    assert client.post(change, hostile).status_code == 403
    assert client.post(admin_url(Schedule, "add"), hostile).status_code == 403
    delete = admin_url(Schedule, "delete", schedule.pk)
    assert client.post(delete, {"post": "yes"}).status_code == 403
    schedule.refresh_from_db()
    assert schedule.func != "os.system"
    if permissions:  # may read
        assert client.get(change).status_code == 200
        assert "_save" not in client.get(change).text
    # A superuser still may.
    response = admin_client.post(change, schedule_form(schedule, repeats="5"))
    assert response.status_code == 302, response.context and response.context["adminform"].errors
    schedule.refresh_from_db()
    assert schedule.repeats == 5


@pytest.mark.django_db
def test_staff_who_may_read_failed_jobs_cannot_run_them_again(admin_client):
    failed = Failure.objects.create(
        id="a" * 32,
        name="purchase-1",
        func="funding.jobs.follow_purchase",
        args=(1,),
        started="2026-06-10T13:00:00Z",
        stopped="2026-06-10T13:00:01Z",
        success=False,
        result="Traceback ...",
    )
    client = staff_client("view_failure", "change_failure", "delete_failure")
    changelist = admin_url(Failure, "changelist")
    response = client.post(changelist, {"action": "resubmit_task", "_selected_action": [failed.pk]})
    assert response.status_code in {200, 302}
    assert Failure.objects.filter(pk=failed.pk).exists()  # resubmitting deletes it
    assert 'value="resubmit_task"' not in client.get(changelist).text
    assert 'value="resubmit_task"' in admin_client.get(changelist).text


def arguments_are_ids_or_redacted_calls(task: Task | OrmQ | Schedule) -> list[str]:
    """What in a job's arguments is neither an id, a short word nor a redacted call record."""
    if isinstance(task, Schedule):
        values = [task.args or "", task.kwargs or ""]
        return [v for v in values if v]  # every schedule is a sweep: it takes nothing
    payload = task.task() if isinstance(task, OrmQ) else {"args": task.args, "kwargs": task.kwargs}
    wrong = []
    for arg in [*(payload["args"] or ()), *(payload["kwargs"] or {}).values()]:
        if isinstance(arg, int) or (isinstance(arg, str) and len(arg) <= 30 and " " not in arg):
            continue
        if isinstance(arg, list) and all(isinstance(i, int) for i in arg):
            continue
        fields = {f.attname for f in CarrierCall._meta.concrete_fields}
        if isinstance(arg, list) and all(isinstance(c, dict) and set(c) <= fields for c in arg):
            continue
        wrong.append(repr(arg))
    return wrong


@pytest.mark.django_db(transaction=True)
def test_job_pages_show_no_secret_and_jobs_carry_only_ids(
    admin_client, sandbox_account, bought_label, merchant
):
    account = sandbox_account("acme-jobs", balance="100.00")
    label = bought_label(account, make_ship_from(merchant))  # its follow-up runs inline
    assert Success.objects.filter(func="shipments.labels.after_purchase").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM carriers_carrieraccount WHERE id = %s", [account.pk])
        stored_password = cursor.fetchone()[0]
    secrets = [SANDBOX_PASSWORD, stored_password]
    for model in JOB_MODELS:
        if not admin.site.is_registered(model):
            continue  # OrmQ: only with the database as the broker
        rows = list(model._default_manager.all()[:50])
        for row in rows:
            assert arguments_are_ids_or_redacted_calls(row) == [], f"{model.__name__} {row}"
        pages = [admin_url(model, "changelist")]
        pages += [admin_url(model, "change", row.pk) for row in rows[:10]]
        for url in pages:
            response = admin_client.get(url)
            assert response.status_code == 200, url
            for secret in secrets:
                assert secret not in response.text, f"{url} shows a secret"
    assert CarrierAccount.objects.get(pk=account.pk).password == SANDBOX_PASSWORD
    assert label.tracking_number
