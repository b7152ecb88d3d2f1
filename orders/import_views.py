"""Import pages: upload, header mapping, job progress, sample file, API key settings."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.text import Truncator
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from merchants.permissions import Perm
from merchants.tenancy import MerchantRequest, get_owned_or_404, merchant_view, owned
from orders import api_keys, importing, jobs
from orders.models import ApiKey, ImportJob

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# The mapping page shows this many example rows, each value cut to this many characters.
PREVIEW_ROWS = 3
PREVIEW_CHARS = 40
TEXT_EXTENSIONS = (".csv", ".tsv", ".txt")
NOT_CSV = (
    "ShipDesk imports CSV files (.csv, .tsv or .txt). In Excel, Numbers or Google Sheets "
    "use Save As / Download → CSV (UTF-8), then upload that file."
)


class UploadForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="Comma, semicolon or tab separated.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is over 20 MB: split it into smaller files.")
        if not upload.name.lower().endswith(TEXT_EXTENSIONS):
            raise forms.ValidationError(NOT_CSV)
        data = upload.read()
        # Text never holds NUL bytes; spreadsheets, images and archives do (cp1252, the
        # fallback encoding, would otherwise "decode" them into a page of garbage headers).
        if b"\x00" in data:
            raise forms.ValidationError(NOT_CSV)
        try:
            return upload.name, importing.decode(data)
        except importing.UnreadableFile as exc:
            raise forms.ValidationError(str(exc)) from exc


@merchant_view(Perm.ORDERS)
def import_page(request: MerchantRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        name, text = form.cleaned_data["file"]
        job = ImportJob.objects.create(
            merchant=request.merchant,
            filename=name[:200],
            content=text,
            created_by=request.user,
            source=ImportJob.Source.UPLOAD,
        )
        try:
            headers, _ = importing.read_table(text)
            importing.column_map(headers, importing.saved_mapping(request.merchant))
        except importing.MappingNeeded:
            job.status = ImportJob.Status.NEEDS_MAPPING
            job.save(update_fields=["status"])
            return redirect("order-import-mapping", pk=job.pk)
        except importing.UnreadableFile as exc:
            job.delete()
            form.add_error("file", str(exc))
        else:
            jobs.start_import(job)
            return redirect("order-import-job", pk=job.pk)
    recent = owned(request, ImportJob).defer("content")[:5]
    return render(
        request,
        "orders/import.html",
        {"form": form, "columns": importing.COLUMNS, "recent": recent},
    )


@merchant_view(Perm.ORDERS, read=Perm.VIEW)
def import_sample(request: MerchantRequest) -> HttpResponse:
    response = HttpResponse(importing.sample_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="shipdesk-orders-sample.csv"'
    return response


@merchant_view(Perm.ORDERS, read=Perm.VIEW)
def import_job(request: MerchantRequest, pk: int) -> HttpResponse:
    job = get_owned_or_404(request, ImportJob.objects.defer("content"), pk=pk)
    if job.status == ImportJob.Status.NEEDS_MAPPING:
        return redirect("order-import-mapping", pk=job.pk)
    context = {"job": job}
    if request.htmx:
        response = render(request, "orders/import_job.html#progress", context)
        if job.finished:
            # 286 tells htmx to stop polling; the finished report is still swapped in.
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "orders/import_job.html", context)


def mapping_choices() -> list[tuple[str, str]]:
    return [("", "— ignore this column —")] + [
        (key, label) for key, (label, _) in importing.COLUMNS.items()
    ]


def mapping_form_class(headers: list[str], saved: dict[str, str]) -> type[forms.Form]:
    choices = mapping_choices()
    fields = {}
    for index, header in enumerate(headers):
        key = importing.fold(header)
        initial = saved.get(key) or importing.KNOWN_HEADERS.get(key, "")
        fields[f"col_{index}"] = forms.ChoiceField(
            label=header or f"(column {index + 1})",
            choices=choices,
            required=False,
            initial=initial,
        )
    return type("MappingForm", (forms.Form,), fields)


@merchant_view(Perm.ORDERS)
def import_mapping(request: MerchantRequest, pk: int) -> HttpResponse:
    job = get_owned_or_404(request, ImportJob, pk=pk)
    if job.status != ImportJob.Status.NEEDS_MAPPING:
        return redirect("order-import-job", pk=job.pk)
    try:
        headers, rows = importing.read_table(job.content)
    except importing.UnreadableFile as exc:
        # A job stored before the current limits: say why it stops instead of rendering it.
        job.status, job.failure, job.finished_at = ImportJob.Status.FAILED, str(exc), timezone.now()
        job.save(update_fields=["status", "failure", "finished_at"])
        return redirect("order-import-job", pk=job.pk)
    form = mapping_form_class(headers, importing.saved_mapping(request.merchant))(
        request.POST or None
    )
    missing: list[str] = []
    if request.method == "POST" and form.is_valid():
        chosen = {
            headers[int(name[4:])]: value for name, value in form.cleaned_data.items() if value
        }
        targets = set(chosen.values())
        missing = [importing.COLUMNS[f][0] for f in importing.REQUIRED if f not in targets]
        if not missing:
            importing.save_mapping(request.merchant, chosen)
            job.status = ImportJob.Status.QUEUED
            job.save(update_fields=["status"])
            jobs.start_import(job)
            messages.success(request, "Column mapping saved; your next files will use it too.")
            return redirect("order-import-job", pk=job.pk)
    return render(
        request,
        "orders/import_mapping.html",
        {"job": job, "missing": missing, "fields": mapping_rows(form, rows)},
    )


def mapping_rows(form: forms.Form, rows: list[tuple[int, list[str]]]) -> list[tuple]:
    """(form field, example values, its <option>s) per column.

    The page's work is linear in the columns: the options are built once per distinct
    selected value, not by Django's widget templates for each of thousands of <select>s."""
    preview = [cells for _, cells in rows[:PREVIEW_ROWS]]
    choices = mapping_choices()
    options: dict[str, str] = {}
    result = []
    for index, field in enumerate(form):
        selected = str(field.value() or "")
        if selected not in options:
            options[selected] = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (
                    (value, " selected" if value == selected else "", label)
                    for value, label in choices
                ),
            )
        examples = [
            Truncator(cells[index]).chars(PREVIEW_CHARS)
            for cells in preview
            if index < len(cells) and cells[index].strip()
        ]
        result.append((field, examples, options[selected]))
    return result


@merchant_view(Perm.SETTINGS)
def api_key_settings(request: MerchantRequest) -> HttpResponse:
    key = owned(request, ApiKey).first()
    return render(request, "orders/api_key.html", {"key": key, "new_key": None})


@merchant_view(Perm.SETTINGS)
@require_POST
def api_key_rotate(request: MerchantRequest) -> HttpResponse:
    new_key, key = api_keys.rotate(request.merchant, request.user)
    messages.success(request, "New API key created. The old key no longer works.")
    # Shown once, in this response only: ShipDesk keeps just its hash.
    return render(request, "orders/api_key.html", {"key": key, "new_key": new_key})
