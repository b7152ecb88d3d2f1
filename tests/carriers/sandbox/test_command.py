"""manage.py stamps_sandbox [show|reset|seed] and the documented test accounts."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from zeep.exceptions import Fault

from carriers.stamps.sandbox import api
from carriers.stamps.sandbox.seed import PASSWORD

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args) -> str:
    out = StringIO()
    call_command("stamps_sandbox", *args, stdout=out)
    return out.getvalue()


def test_seed_creates_the_documented_accounts_and_show_lists_them(transactional_db):
    api.reset()
    output = run("seed")
    for name in ("sandbox-pro", "sandbox-personal", "sandbox-pending", "sandbox-declined",
                 "sandbox-closed", "sandbox-changed"):  # fmt: skip
        assert name in output
    assert "sandbox-pro" in run("show")
    run("reset")
    assert "sandbox-pro" not in run("show")


def test_documented_accounts_behave_as_documented(swsim, transactional_db):
    api.reset()
    run("seed")
    assert login(swsim, "sandbox-pro", PASSWORD)
    with pytest.raises(Fault, match="^Authentication Failed$"):
        login(swsim, "sandbox-changed", PASSWORD)
    with pytest.raises(Fault, match="^Account is set to a closed plan$"):
        login(swsim, "sandbox-closed", PASSWORD)
    result = swsim.PurchasePostage(
        Authenticator=login(swsim, "sandbox-declined", PASSWORD),
        PurchaseAmount=20,
        ControlTotal=0,
        IntegratorTxID="seed-1",
    )
    assert result.PurchaseStatus == "Rejected"


def test_seed_keep_creates_what_is_missing_and_leaves_the_rest_alone(transactional_db):
    """`make run` (scripts/serve) seeds with --keep on every start."""
    from decimal import Decimal
    from pathlib import Path

    api.reset()
    api.create_account("sandbox-pro", PASSWORD, balance=Decimal("7.00"))
    output = run("seed", "--keep")
    assert "seeded sandbox-personal" in output and "seeded sandbox-pro" not in output
    assert api.get_balance("sandbox-pro") == Decimal("7.00")  # the developer's state is kept
    assert "seeded sandbox" not in run("seed", "--keep")  # nothing left to create
    serve = (Path(__file__).resolve().parents[3] / "scripts" / "serve").read_text()
    assert "stamps_sandbox seed --keep" in serve
