"""CSV exports and download names: what a merchant typed (or imported) can never turn into a
spreadsheet formula or a second header parameter."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from email.message import Message

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from funding import ledger
from merchants.exports import safe_cell
from tests.factories import make_carrier_account
from tests.shipments.factories import make_shipment

pytestmark = pytest.mark.django_db

FORMULAS = ["=HYPERLINK(\"http://evil.test\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
            "\t=1+1", "\r=1+1"]  # fmt: skip


def rows_of(response) -> list[list[str]]:
    body = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.parametrize("value", FORMULAS)
def test_a_cell_that_starts_a_formula_is_neutralised(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["-12.50", "+3", "Jane", "", "a=b", Decimal("-7.10"), 5])
def test_numbers_and_plain_text_are_left_alone(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("nickname", FORMULAS)
def test_the_ledger_csv_neutralises_a_formula_nickname(owner_client, merchant, nickname):
    account = make_carrier_account(merchant, nickname=nickname, balance=Decimal("80.00"))
    with transaction.atomic():
        ledger.ensure_opening_balance(account)
        ledger.debit_for_label(account, Decimal("7.10"), "=label")
    rows = rows_of(owner_client.get("/funds/ledger.csv"))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + nickname in cells and "'=label" in cells
    assert "-7.10" in cells  # amounts stay numbers
    assert not any(cell and cell[0] in "=+@\t\r" for cell in cells)


@pytest.mark.parametrize("number", FORMULAS)
def test_the_shipments_csv_neutralises_a_formula_order_number(owner_client, merchant, number):
    make_shipment(merchant, number)
    rows = rows_of(owner_client.get(reverse("shipments:list"), {"format": "csv"}))
    assert rows[1][0] == "'" + number


def test_the_statement_file_name_cannot_inject_header_parameters(owner_client, merchant):
    account = make_carrier_account(merchant, nickname="x\";filename*=UTF-8''evil.exe;a=\"")
    today = timezone.localdate()
    response = owner_client.get(f"/funds/{account.pk}/statements/{today:%Y-%m}.pdf")
    assert response.status_code == 200
    header = Message()
    header["Content-Disposition"] = response["Content-Disposition"]
    params = dict(header.get_params(header="content-disposition"))
    assert set(params) == {"inline", "filename"}, params
    assert params["filename"].endswith(f"-{today:%Y-%m}.pdf")
