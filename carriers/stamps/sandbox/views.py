"""The SOAP endpoint (``swsim.asmx``), its WSDL, and injected failures."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from lxml import etree

from carriers.stamps import faults
from merchants.tenancy import sandbox_view

from . import accounts, endofday, labels, state
from .models import Fault
from .schema import REQUESTS, RESPONSES, TNS
from .soap import SandboxFault, envelope, fault_envelope, parse_children, parse_envelope
from .validation import validate_request
from .wsdl import render_wsdl

log = logging.getLogger(__name__)

HANDLERS = {
    "AuthenticateUser": accounts.authenticate_user,
    "RegisterAccount": accounts.register_account,
    "StartAccountVerification": accounts.start_account_verification,
    "FinishAccountVerification": accounts.finish_account_verification,
    "GetAccountInfo": accounts.get_account_info,
    "PurchasePostage": accounts.purchase_postage,
    "SetAutoBuy": accounts.set_auto_buy,
    "GetRates": labels.get_rates,
    "CleanseAddress": labels.cleanse_address,
    "CreateIndicium": labels.create_indicium,
    "CancelIndicium": labels.cancel_indicium,
    "TrackShipment": labels.track_shipment,
    "GetShipmentList": labels.get_shipment_list,
    "CreateManifest": endofday.create_manifest,
    "ScheduleCarrierPickup": endofday.schedule_carrier_pickup,
    "ModifyCarrierPickup": endofday.modify_carrier_pickup,
    "CancelCarrierPickup": endofday.cancel_carrier_pickup,
    "GetURL": endofday.get_url,
    "ReprintIndicium": labels.reprint_indicium,
}
NO_AUTHENTICATOR = {"RegisterAccount"}
# Operations whose request and answer are wrapped in one element (the Authenticator inside).
WRAPPED = {"ReprintIndicium": ("indiciumRequest", "ReprintIndiciumResult")}
# Faults can be injected on fetching the WSDL too (GET ?wsdl): a client that never parsed it
# fails before its first call of any operation.
WSDL = "WSDL"


def _xml(body: bytes, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def _fault(fault: SandboxFault) -> HttpResponse:
    """SOAP 1.1 answers a fault with HTTP 500, yet a refusal is the carrier doing its job, not
    a crash: it is logged here at info, and Django is told not to log it as "Internal Server
    Error" (which would page an operator)."""
    log.info("SOAP fault %s: %s", fault.code, fault.message)
    response = _xml(fault_envelope(fault), status=500)
    # Read by django.utils.log.log_response.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _take_fault(op: str) -> Fault | None:
    """The next injected failure for ``op``, counted down atomically (any process)."""
    with transaction.atomic():
        fault = Fault.objects.select_for_update().filter(operation=op).order_by("pk").first()
        if fault is None:
            return None
        if fault.remaining is not None:
            if fault.remaining <= 1:
                fault.delete()
            else:
                Fault.objects.filter(pk=fault.pk).update(remaining=F("remaining") - 1)
        return fault


def _operation(request: HttpRequest, body_el) -> str:
    action = request.headers.get("SOAPAction", "").strip().strip('"')
    name = action.rsplit("/", 1)[-1] if action else etree.QName(body_el).localname
    if action and not action.startswith(TNS + "/"):
        raise SandboxFault(
            f"Server did not recognize the value of HTTP Header SOAPAction: {action}.", "00500002"
        )
    if name not in HANDLERS:
        raise SandboxFault(
            f"Server did not recognize the value of HTTP Header SOAPAction: {action or name}.",
            "00500002",
        )
    if etree.QName(body_el).localname != name or etree.QName(body_el).namespace != TNS:
        raise SandboxFault(
            f"Server was unable to read request: expected element {{{TNS}}}{name}.", "00500000"
        )
    return name


@csrf_exempt
@sandbox_view
def endpoint(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        if "wsdl" in {key.lower() for key in request.GET}:
            injected = _take_fault(WSDL)
            if injected is not None:
                if injected.kind == "timeout":
                    time.sleep(injected.delay or settings.STAMPS_TIMEOUT + 1)
                    return HttpResponse("Gateway Timeout", status=504, content_type="text/plain")
                if injected.kind == "delay":
                    time.sleep(injected.delay)
                else:  # nothing to commit on a GET: every other kind is a bare 500
                    return HttpResponse(
                        "500 Internal Server Error", status=500, content_type="text/plain"
                    )
            address = request.build_absolute_uri(reverse("stamps_sandbox:endpoint"))
            return _xml(render_wsdl(address).encode())
        return HttpResponse(
            "ShipDesk Stamps.com sandbox (SWSIM v135 subset). Add ?wsdl for the WSDL.",
            content_type="text/plain",
        )
    if request.method != "POST":
        return HttpResponse(status=405)
    try:
        body_el = parse_envelope(request.body)
        op = _operation(request, body_el)
        validate_request(body_el)
    except SandboxFault as bad_request:
        return _fault(bad_request)

    with state.in_flight(_username(body_el)):
        return _answer(request, body_el, op)


def _username(body_el) -> str:
    """The Credentials' user name of a request (empty for RegisterAccount)."""
    found = body_el.find(f".//{{{TNS}}}Credentials/{{{TNS}}}Username")
    return (found.text or "") if found is not None else ""


def _answer(request: HttpRequest, body_el, op: str) -> HttpResponse:
    injected = _take_fault(op)
    if injected is not None:
        if injected.kind == "delay":
            time.sleep(injected.delay)
        elif injected.kind == "timeout":
            # Longer than the client waits; the work is never done.
            time.sleep(injected.delay or settings.STAMPS_TIMEOUT + 1)
            return HttpResponse("Gateway Timeout", status=504, content_type="text/plain")
        elif injected.kind == "http500":
            # Not XML, so zeep reports a TransportError (status 500), not a SOAP fault.
            return HttpResponse("500 Internal Server Error", status=500, content_type="text/plain")
        elif injected.kind == "soap_fault":
            return _fault(SandboxFault(injected.message or "Internal error", "00ff0000"))
        elif injected.kind == "out_of_sync":
            return _fault(state.fault(faults.CONVERSATION_OUT_OF_SYNC))

    started = time.perf_counter()
    try:
        data = parse_children(body_el, REQUESTS[op])
        wrapped = WRAPPED.get(op)
        call = accounts.Call(op, data[wrapped[0]] if wrapped else data, request)
        fault: SandboxFault | None = None
        with transaction.atomic():
            try:
                result = HANDLERS[op](call)
            except accounts.CommittedFault as exc:
                fault = exc
            else:
                if op not in NO_AUTHENTICATOR:
                    result = {"Authenticator": state.issue_token(call.account), **result}
                if wrapped:
                    result = {wrapped[1]: result}
        if fault is not None:
            raise fault
    except SandboxFault as exc:
        log.info("sandbox %s fault: %s", op, exc.message)
        return _fault(exc)
    body = envelope(op, RESPONSES[op], result)
    log.debug("sandbox %s handled in %.1f ms", op, (time.perf_counter() - started) * 1000)

    if injected is not None and injected.kind == "drop_after_commit":
        # The work is committed, but the client never learns it: as if the connection
        # broke after the carrier had done the work.
        return HttpResponse("upstream connection reset", status=500, content_type="text/plain")
    return _xml(body)
