"""Rates, addresses, labels (indicia), voids and tracking."""

from __future__ import annotations

from . import rates
from .accounts import Call
from .models import Account
from .soap import SandboxFault


def get_rates(call: Call) -> dict:
    account = call.account
    found = rates.get_rates(
        call.data["Rate"], pro=account.plan == Account.PRO, today=call.now.date()
    )
    return {"Rates": found}


def _todo(call: Call) -> dict:
    raise SandboxFault(f"{call.op} is not available in the sandbox yet.", "00ff0001", server=True)


cleanse_address = create_indicium = cancel_indicium = track_shipment = _todo
