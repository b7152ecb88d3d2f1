"""django-q2's admin pages (schedules, finished and failed jobs, the database queue), kept to
superusers for anything but reading.

A schedule names any importable function with its arguments, and a worker runs it as
ShipDesk: whoever may edit one may run any code with the database's and the carrier
accounts' keys. Resubmitting a finished or failed job runs it again (a label's follow-up,
a purchase's). Django's model permissions would let a staff member be given either
("change schedule"); here only a superuser has them, whatever the permissions say. Staff
with the view permission still read the pages.

What the pages show: jobs take primary keys (an account's, a label's, a batch's, a
purchase's) and small strings (an e-mail's kind); a label's follow-up also carries its
carrier call records, redacted as the call log keeps them (carriers.stamps.calllog), so no
password or token. tests/front/test_jobs_admin.py checks both."""

from __future__ import annotations

import django_q.admin as q_admin  # registers django-q2's own admin first, replaced below
from django.contrib import admin
from django.http import HttpRequest
from django_q.models import Failure, OrmQ, Schedule, Success


def is_superuser(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


class SuperuserChangesOnly(admin.ModelAdmin):
    def has_add_permission(self, request, *args) -> bool:
        return is_superuser(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_superuser(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_superuser(request)


@admin.action(description="Resubmit selected tasks to queue", permissions=["change"])
def resubmit_task(modeladmin, request, queryset) -> None:
    """django-q2's action (a failed job's row is deleted once queued again), offered only to
    those who may change jobs: its own asks for no permission at all."""
    q_admin.resubmit_task(modeladmin, request, queryset)


class ScheduleAdmin(SuperuserChangesOnly, q_admin.ScheduleAdmin):
    pass


class SuccessAdmin(SuperuserChangesOnly, q_admin.TaskAdmin):
    actions = [resubmit_task]


class FailureAdmin(SuperuserChangesOnly, q_admin.FailAdmin):
    actions = [resubmit_task]


class QueueAdmin(SuperuserChangesOnly, q_admin.QueueAdmin):
    pass


for model, model_admin in (
    (Schedule, ScheduleAdmin),
    (Success, SuccessAdmin),
    (Failure, FailureAdmin),
    (OrmQ, QueueAdmin),  # registered by django-q2 only with the database as broker
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
        admin.site.register(model, model_admin)
