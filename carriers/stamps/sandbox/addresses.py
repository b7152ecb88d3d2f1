"""CleanseAddress and the cleanse-hash check of CreateIndicium (R37).

The live service standardises an address against USPS data: it corrects a misspelled street
or city, adds the ZIP+4, offers candidates when the street is ambiguous, flags an address it
cannot match (``AddressMatch``/``CityStateZipOK``) and returns a ``CleanseHash`` that
CreateIndicium checks against the To address it is given ("To Address does not match Cleanse
Hash"). An ``OverrideHash`` lets the shipper buy with an address as typed.

The sandbox's "USPS data" is the small street directory below; a ZIP code outside it is
matched on its state alone (any street is accepted), which keeps every other test address
deliverable.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import re

from django.conf import settings

from carriers.stamps import faults

from . import geo
from .soap import SandboxFault

# ZIP code -> (city, streets). Real places, so a browser walk reads naturally.
DIRECTORY: dict[str, tuple[str, tuple[str, ...]]] = {
    "94105": ("SAN FRANCISCO", ("MARKET ST", "MISSION ST", "HOWARD ST", "FOLSOM ST", "MAIN ST")),
    "60614": (
        "CHICAGO",
        ("N CLARK ST", "N HALSTED ST", "W FULLERTON AVE", "N SHEFFIELD AVE", "N LINCOLN AVE"),
    ),
    "02134": ("ALLSTON", ("HARVARD AVE", "BRIGHTON AVE", "CAMBRIDGE ST", "N HARVARD ST")),
}
# The fields a CleanseHash covers. The live service's exact set is unknown (README).
HASHED = (
    "Address1",
    "Address2",
    "City",
    "State",
    "ZIPCode",
    "ZIPCodeAddOn",
    "Province",
    "PostalCode",
    "Country",  # last: an empty one counts as US
)
_STREET = re.compile(r"^\s*(\d+[A-Z]?)\s+(.+?)\s*$")


def _key() -> bytes:
    return hashlib.sha256(b"stamps-sandbox-cleanse:" + settings.SECRET_KEY.encode()).digest()


def _canonical(address: dict, kind: str) -> bytes:
    parts = [kind] + [
        re.sub(r"\s+", " ", str(address.get(f) or "")).strip().upper() for f in HASHED
    ]
    if not parts[-1]:
        parts[-1] = "US"
    return "|".join(parts).encode()


def _hash(address: dict, kind: str) -> str:
    return hmac.new(_key(), _canonical(address, kind), hashlib.sha256).hexdigest()[:40]


def _zip4(number: str, street: str, zip5: str) -> str:
    digest = hashlib.sha256(f"{number}|{street}|{zip5}".encode()).hexdigest()
    return str(int(digest[:6], 16) % 10000).zfill(4)


def _close_streets(street: str, streets: tuple[str, ...]) -> list[str]:
    """The known streets ``street`` may mean: an exact one, else every street scoring within
    0.1 of the best likeness (several: ambiguous, so candidates and no match)."""
    if street in streets:
        return [street]
    scored = [(difflib.SequenceMatcher(None, street, s).ratio(), s) for s in streets]
    best = max(score for score, _ in scored)
    if best < 0.7:
        return []
    return sorted(s for score, s in scored if score >= best - 0.1)


def require_province(address: dict | None) -> None:
    """State is for US addresses; abroad the province or region goes in Province."""
    address = address or {}
    country = (address.get("Country") or "US").strip().upper()
    if country != "US" and (address.get("State") or "").strip():
        raise SandboxFault(faults.STATE_ABROAD.text, faults.STATE_ABROAD.code)


def cleanse(address: dict) -> dict:
    """The CleanseAddress answer (without the Authenticator) for ``address``."""
    require_province(address)
    address = {k: (v.strip().upper() if isinstance(v, str) else v) for k, v in address.items()}
    for stale in ("CleanseHash", "OverrideHash", "ZIPCodeAddOn"):
        address.pop(stale, None)
    country = address.get("Country") or "US"
    if country != "US":
        return _answer(address, match=True, ok=True, level="Partial", result="Not validated")
    zip5 = (address.get("ZIPCode") or "")[:5]
    typed_state = address.get("State") or ""
    zip_state = geo.state_for_zip(zip5)
    if not address.get("Address1") or zip_state is None:
        return _answer(address, match=False, ok=False, level="None", result="Address not found")
    if typed_state and typed_state != zip_state:
        return _answer(
            address, match=False, ok=False, level="None", result="City, state and ZIP disagree"
        )
    address["State"] = zip_state
    known = DIRECTORY.get(zip5)
    parsed = _STREET.match(address["Address1"])
    if known is None:
        number, street = (parsed.group(1), parsed.group(2)) if parsed else ("", address["Address1"])
        address["ZIPCodeAddOn"] = _zip4(number, street, zip5)
        return _answer(address, match=True, ok=True, level="Maximum", result="Exact Match")
    city, streets = known
    corrected = address.get("City") != city
    address["City"] = city
    if parsed is None:
        return _answer(address, match=False, ok=True, level="None", result="Missing house number")
    number, street = parsed.groups()
    close = _close_streets(street, streets)
    if len(close) != 1:
        candidates = [
            {**address, "Address1": f"{number} {s}", "ZIPCodeAddOn": _zip4(number, s, zip5)}
            for s in close
        ]
        return _answer(
            address,
            match=False,
            ok=True,
            level="None",
            result="Multiple matches" if close else "Street not found",
            candidates=candidates,
        )
    corrected = corrected or close[0] != street
    address["Address1"] = f"{number} {close[0]}"
    address["ZIPCodeAddOn"] = _zip4(number, close[0], zip5)
    return _answer(
        address,
        match=True,
        ok=True,
        level="Maximum",
        result="Corrected" if corrected else "Exact Match",
    )


def _answer(
    address: dict,
    *,
    match: bool,
    ok: bool,
    level: str,
    result: str,
    candidates: list[dict] | None = None,
) -> dict:
    # The OverrideHash vouches for the address exactly as answered, matched or not.
    address["OverrideHash"] = _hash(address, "override")
    address["CleanseHash"] = _hash(address, "cleanse") if match else None
    for candidate in candidates or []:
        candidate["CleanseHash"] = _hash(candidate, "cleanse")
        candidate["OverrideHash"] = _hash(candidate, "override")
    return {
        "Address": address,
        "AddressMatch": match,
        "CityStateZipOK": ok,
        "ResidentialDeliveryIndicator": "No" if address.get("Company") else "Yes",
        "IsPOBox": (address.get("Address1") or "").replace(".", "").startswith("PO BOX"),
        "CandidateAddresses": candidates or [],
        "StatusCodes": {"ReturnCode": 31 if match else 10},
        "AddressCleansingResult": result,
        "VerificationLevel": level,
    }


def require_cleansed(to: dict | None) -> None:
    """R37: CreateIndicium's To address must carry the hash of exactly these fields."""
    to = to or {}
    upper = {k: (v.upper() if isinstance(v, str) else v) for k, v in to.items()}
    for field, kind in (("CleanseHash", "cleanse"), ("OverrideHash", "override")):
        given = to.get(field) or ""
        if given and hmac.compare_digest(given, _hash(upper, kind)):
            return
    raise SandboxFault(faults.CLEANSE_HASH.text, faults.CLEANSE_HASH.code)
