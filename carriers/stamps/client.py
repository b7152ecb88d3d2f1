"""The Stamps.com SWSIM client: the only place in ShipDesk that speaks SOAP (through zeep).

Use it through the factory seam, so tests and the rest of ShipDesk replace exactly one thing::

    client = client_for(account)          # a connected CarrierAccount
    client = get_client(username, pw)     # before an account is saved (R1), or for sign-up

Contract:

- The WSDL is loaded and parsed once per process per location (``wsdl_parse_count``). In
  sandbox mode (``STAMPS_SANDBOX``) the WSDL and the service address are the sandbox's
  (``STAMPS_SANDBOX_URL``); ``STAMPS_WSDL_URL`` (a URL or a file path) overrides the WSDL and
  ``STAMPS_SERVICE_URL`` the address, so the real v135 WSDL can be pointed at the sandbox.
- Authentication: AuthenticateUser once, then each answer's Authenticator is used for the next
  call. Tokens are kept per endpoint and username in a small process-wide pool: a call takes a
  token and puts back the one the answer hands on, so concurrent calls for one account each
  use their own chain. An expired or out-of-sync token is replaced by signing in once more and
  retrying; "Authentication Failed" is final (R7).
- Results are the dataclasses of ``carriers.stamps.types``; failures raise
  ``carriers.stamps.errors.StampsError`` subclasses.
- Retries only where safe: read-only operations retry temporary failures; PurchasePostage and
  CreateIndicium retry them only with the same IntegratorTxID, which the carrier treats as one
  transaction (R28); everything else is never retried blindly.
- Every attempt is recorded as a ``carriers.models.CarrierCall`` (``carriers.stamps.calllog``
  says how the record survives a caller's rollback), with secrets redacted.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
import zeep
import zeep.exceptions
from django.conf import settings
from django.utils import timezone
from lxml import etree

from carriers.stamps import errors
from carriers.stamps.calllog import record, summarize
from carriers.stamps.soap import (
    _balance,
    _compact,
    _customs_to_soap,
    _get,
    _items,
    _pickup_contact,
    _rate_from_soap,
    _rate_to_soap,
    _read_answer,
    _str,
    address_from_soap,
    address_to_soap,
)
from carriers.stamps.types import (
    AccountInfo,
    Address,
    Authentication,
    AutoBuy,
    Capabilities,
    CleansedAddress,
    CreditCard,
    Customs,
    Indicium,
    Manifest,
    Pickup,
    PickupAddress,
    PickupContact,
    PickupPackages,
    Purchase,
    Rate,
    RateRequest,
    Registration,
    Tracking,
    TrackingEvent,
)

log = logging.getLogger(__name__)

NAMESPACE = "http://stamps.com/xml/namespace/2023/07/swsim/SwsimV135"
BINDING = f"{{{NAMESPACE}}}SwsimV135Soap"

READ_ONLY = frozenset(
    {"AuthenticateUser", "GetRates", "GetAccountInfo", "CleanseAddress", "TrackShipment", "GetURL"}
)
SAME_TX_RETRY = frozenset({"PurchasePostage", "CreateIndicium"})

# --------------------------------------------------------------------------------------------
# One parsed WSDL per location per process.

_wsdl_lock = threading.Lock()
_wsdl_clients: dict[str, zeep.Client] = {}
_services: dict[tuple[str, str], Any] = {}
wsdl_parse_count: dict[str, int] = {}

# Per-call timeout, so one cached zeep client serves callers with different timeouts.
_call_timeout: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "stamps_call_timeout", default=None
)


# The HTTP status of the latest answer in this context (zeep's Fault does not carry it).
_last_status: contextvars.ContextVar[int] = contextvars.ContextVar("stamps_status", default=0)


class _Transport(zeep.Transport):
    """zeep's transport with the operation timeout taken from the calling client."""

    @property
    def operation_timeout(self) -> float | None:  # type: ignore[override]
        return _call_timeout.get() or self._default_timeout

    @operation_timeout.setter
    def operation_timeout(self, value: float | None) -> None:
        self._default_timeout = value

    def post(self, address, message, headers):
        response = super().post(address, message, headers)
        _last_status.set(response.status_code)
        return response


def _wsdl_client(location: str) -> zeep.Client:
    cached = _wsdl_clients.get(location)
    if cached is not None:
        return cached
    with _wsdl_lock:
        cached = _wsdl_clients.get(location)
        if cached is None:
            session = requests.Session()
            session.headers["User-Agent"] = "ShipDesk SWSIM client"
            transport = _Transport(
                timeout=settings.STAMPS_TIMEOUT,
                operation_timeout=settings.STAMPS_TIMEOUT,
                session=session,
            )
            source = location
            if location.startswith("file://"):
                source = location.removeprefix("file://")
            try:
                cached = zeep.Client(source, transport=transport)
            except (requests.RequestException, OSError) as exc:
                # Stamps.com (or the sandbox) unreachable before the first call: the same
                # temporary failure as a timeout, and nothing is cached, so the next try reloads.
                raise errors.CarrierUnavailable(
                    f"WSDL not reachable: {type(exc).__name__}", operation="(WSDL)"
                ) from exc
            wsdl_parse_count[location] = wsdl_parse_count.get(location, 0) + 1
            _wsdl_clients[location] = cached
        return cached


def _service(location: str, address: str):
    key = (location, address)
    service = _services.get(key)
    if service is None:
        client = _wsdl_client(location)
        service = client.create_service(BINDING, address) if address else client.service
        _services[key] = service
    return service


def endpoints() -> tuple[str, str]:
    """(WSDL location, service address) from settings; an empty address keeps the WSDL's."""
    wsdl = settings.STAMPS_WSDL_URL
    address = settings.STAMPS_SERVICE_URL
    if settings.STAMPS_SANDBOX:
        sandbox = settings.STAMPS_SANDBOX_URL
        wsdl = wsdl or f"{sandbox}?wsdl"
        address = address or sandbox
    if not wsdl:
        raise errors.CarrierUnavailable(
            "STAMPS_WSDL_URL is not set",
            explanation="ShipDesk is not configured to reach Stamps.com.",
            what_to_do="Ask your administrator to set STAMPS_WSDL_URL.",
        )
    if "://" not in wsdl:
        wsdl = str(Path(wsdl).resolve())
    return wsdl, address


def reset_wsdl_cache() -> None:
    """Forget parsed WSDLs and tokens (tests that change endpoints)."""
    with _wsdl_lock:
        _wsdl_clients.clear()
        _services.clear()
        wsdl_parse_count.clear()
    _tokens.clear()


# --------------------------------------------------------------------------------------------
# Authenticator pool.


class _TokenPool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str], list[str]] = {}

    def take(self, key: tuple[str, str]) -> str | None:
        with self._lock:
            stack = self._tokens.get(key)
            return stack.pop() if stack else None

    def give(self, key: tuple[str, str], token: str | None) -> None:
        if not token:
            return
        with self._lock:
            stack = self._tokens.setdefault(key, [])
            if token not in stack:
                stack.append(token)
                # A burst of concurrent calls leaves spare chains; a few are plenty.
                del stack[:-8]

    def forget(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._tokens.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()

    def count(self, key: tuple[str, str]) -> int:
        with self._lock:
            return len(self._tokens.get(key, ()))


_tokens = _TokenPool()


# --------------------------------------------------------------------------------------------
# The client.


class StampsClient:
    """One Stamps.com user (or none, for RegisterAccount) over the cached zeep service."""

    def __init__(
        self,
        username: str = "",
        password: str = "",
        *,
        account: Any = None,
        wsdl: str | None = None,
        address: str | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        retry_backoff: float | None = None,
        integration_id: str | None = None,
    ) -> None:
        default_wsdl, default_address = endpoints() if wsdl is None else (wsdl, "")
        self.wsdl = wsdl or default_wsdl
        self.address = default_address if address is None else address
        self.username = username
        self._password = password
        self.account = account
        self.timeout = float(timeout if timeout is not None else settings.STAMPS_TIMEOUT)
        self.retries = retries if retries is not None else settings.STAMPS_RETRIES
        self.retry_backoff = (
            retry_backoff if retry_backoff is not None else settings.STAMPS_RETRY_BACKOFF_MS / 1000
        )
        self.integration_id = integration_id or settings.STAMPS_INTEGRATION_ID
        self._zeep = _wsdl_client(self.wsdl)
        self._service = _service(self.wsdl, self.address)
        self._token_key = (self.address or self.wsdl, username.lower())
        # The latest answer's HTTP response headers (the sandbox reports its handling time).
        self.last_response_headers: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"StampsClient({self.username!r}, address={self.address!r})"

    # -- plumbing ------------------------------------------------------------------------

    def _credentials(self) -> dict[str, str]:
        return {
            "IntegrationID": self.integration_id,
            "Username": self.username,
            "Password": str(self._password),
        }

    def _invoke(self, operation: str, kwargs: dict[str, Any]) -> Any:
        """What zeep's ``service.Operation(**kwargs)`` does, reading success answers with
        ``_read_answer`` (in ``carriers.stamps.soap``) and leaving faults and HTTP errors to
        zeep."""
        service = self._service
        binding = service._binding
        options = service._binding_options
        token = _call_timeout.set(self.timeout)
        _last_status.set(0)
        try:
            envelope, headers = binding._create(
                operation, (), kwargs, client=self._zeep, options=options
            )
            response = self._zeep.transport.post_xml(options["address"], envelope, headers)
        finally:
            _call_timeout.reset(token)
        answer = _read_answer(response)
        if answer is not None:
            return answer
        return binding.process_reply(self._zeep, binding.get(operation), response)

    def _classify(self, operation: str, exc: Exception) -> errors.StampsError:
        if isinstance(exc, zeep.exceptions.Fault) and exc.message == "Unknown fault occured":
            # An HTTP error answered with XML that is not a soap:Fault (a proxy's page).
            status = f"HTTP {_last_status.get() or '5xx'}"
            return errors.CarrierUnavailable(status, fault_code=status, operation=operation)
        if isinstance(exc, zeep.exceptions.Fault):
            detail_code = ""
            if isinstance(exc.detail, etree._Element):
                # Stamps.com puts its hexadecimal code in detail/sdcerror/@code.
                for el in exc.detail.iter():
                    code = el.get("code") if isinstance(el.tag, str) else None
                    if code:
                        detail_code = code.strip()
                        break
            return errors.error_from_fault(
                str(exc.message or ""),
                fault_code=str(exc.code or ""),
                detail_code=detail_code,
                operation=operation,
            )
        if isinstance(exc, zeep.exceptions.ValidationError):
            return errors.SchemaValidation(str(exc), operation=operation)
        if isinstance(exc, zeep.exceptions.TransportError):
            text = f"HTTP {exc.status_code}"
            if exc.status_code and exc.status_code < 500:
                return errors.CarrierFault(text, fault_code=text, operation=operation)
            return errors.CarrierUnavailable(text, fault_code=text, operation=operation)
        if isinstance(exc, requests.Timeout):
            return errors.CarrierUnavailable(
                f"no answer within {self.timeout:g}s", fault_code="timeout", operation=operation
            )
        return errors.CarrierUnavailable(
            f"{type(exc).__name__}: {exc}", fault_code="connection", operation=operation
        )

    def _log(
        self,
        operation: str,
        *,
        started: dt.datetime,
        duration: float,
        attempt: int,
        kwargs: dict[str, Any],
        error: errors.StampsError | None = None,
    ) -> None:
        from carriers.models import CarrierCall

        account = self.account
        if error is None:
            outcome = CarrierCall.Outcome.OK
        elif isinstance(error, errors.CarrierUnavailable):
            outcome = CarrierCall.Outcome.TRANSPORT
        else:
            outcome = CarrierCall.Outcome.FAULT
        record(
            {
                "merchant_id": getattr(account, "merchant_id", None),
                "account_id": getattr(account, "pk", None),
                "username": self.username[:100],
                "operation": operation,
                "started_at": started,
                "duration_ms": max(0, round(duration * 1000)),
                "outcome": outcome,
                "attempt": attempt,
                "fault_code": (error.fault_code if error else "")[:60],
                "fault_text": error.fault_text if error else "",
                "merchant_message": error.merchant_message if error else "",
                "request_summary": summarize(kwargs),
            }
        )

    def _attempt(
        self,
        operation: str,
        kwargs: dict[str, Any],
        attempt: int,
        refuse: Callable[[Any], errors.StampsError | None] | None = None,
    ) -> Any:
        """One SOAP call, recorded. Raises StampsError.

        ``refuse`` turns a well-formed answer that nonetheless refuses (a Rejected purchase)
        into an error, so the call log records it as one."""
        started = timezone.now()
        t0 = time.perf_counter()
        try:
            response = self._invoke(operation, kwargs)
        except (
            zeep.exceptions.Error,
            requests.RequestException,
            etree.XMLSyntaxError,
            OSError,
        ) as exc:
            error = self._classify(operation, exc)
            self._log(
                operation,
                started=started,
                duration=time.perf_counter() - t0,
                attempt=attempt,
                kwargs=kwargs,
                error=error,
            )
            raise error from exc
        error = refuse(response) if refuse is not None else None
        self._log(
            operation,
            started=started,
            duration=time.perf_counter() - t0,
            attempt=attempt,
            kwargs=kwargs,
            error=error,
        )
        if error is not None:
            error.next_authenticator = _get(response, "Authenticator")  # type: ignore[attr-defined]
            raise error
        return response

    def _may_retry(self, operation: str, error: errors.StampsError, attempt: int) -> bool:
        if error.permanent or attempt > self.retries:
            return False
        return operation in READ_ONLY or operation in SAME_TX_RETRY

    def _pause(self, attempt: int) -> None:
        if self.retry_backoff:
            time.sleep(self.retry_backoff * attempt)

    def _call(
        self,
        operation: str,
        authenticated: bool = True,
        refuse: Callable[[Any], errors.StampsError | None] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call ``operation`` with the next Authenticator, re-authenticating once if it has
        expired and retrying temporary failures where that is safe."""
        attempt = 0
        reauthenticated = False
        while True:
            attempt += 1
            args = dict(kwargs)
            token = None
            if authenticated:
                if not reauthenticated:
                    token = _tokens.take(self._token_key)
                token = token or self._authenticate_token()
                args = {"Authenticator": token, **kwargs}
            try:
                response = self._attempt(operation, args, attempt, refuse)
            except errors.AuthenticatorExpired:
                # Tokens issued before this one are no better: sign in afresh, once.
                _tokens.forget(self._token_key)
                if reauthenticated:
                    raise
                reauthenticated = True
                continue
            except errors.StampsError as error:
                if token and error.permanent and not isinstance(error, errors.AuthenticationFailed):
                    # A fault does not consume the token: the carrier refused before acting.
                    _tokens.give(self._token_key, getattr(error, "next_authenticator", token))
                elif isinstance(error, errors.AuthenticationFailed):
                    _tokens.forget(self._token_key)
                if not self._may_retry(operation, error, attempt):
                    raise
                self._pause(attempt)
                continue
            if authenticated:
                _tokens.give(self._token_key, _get(response, "Authenticator") or None)
            return response

    def _authenticate_token(self) -> str:
        if not self.username:
            raise errors.AuthenticationFailed(
                "no username", operation="AuthenticateUser", fault_code="no-credentials"
            )
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._attempt(
                    "AuthenticateUser", {"Credentials": self._credentials()}, attempt
                )
            except errors.StampsError as error:
                if isinstance(error, errors.AuthenticationFailed):
                    _tokens.forget(self._token_key)
                if self._may_retry("AuthenticateUser", error, attempt):
                    self._pause(attempt)
                    continue
                raise
            self._last_auth = response
            return str(_get(response, "Authenticator"))

    # -- operations ----------------------------------------------------------------------

    def authenticate(self) -> Authentication:
        """Sign in with the username and password (R1: before an account is saved)."""
        _tokens.forget(self._token_key)
        token = self._authenticate_token()
        _tokens.give(self._token_key, token)
        r = self._last_auth
        return Authentication(
            last_login=_get(r, "LastLoginTime"),
            password_expired=bool(_get(r, "PasswordExpired", False)),
            banner=_str(r, "LoginBannerText"),
        )

    def register_account(
        self,
        *,
        username: str,
        password: str,
        email: str,
        physical_address: Address,
        credit_card: CreditCard | None = None,
        mailing_address: Address | None = None,
        account_type: str = "OfficeBasedBusiness",
        promo_code: str = "",
        machine_ip: str = "127.0.0.1",
    ) -> Registration:
        """RegisterAccount: a new (free, Pro-plan) Stamps.com account (R2). Never retried."""
        args: dict[str, Any] = {
            "IntegrationID": self.integration_id,
            "UserName": username,
            "Password": password,
            "PhysicalAddress": address_to_soap(physical_address),
            "MachineInfo": {"IPAddress": machine_ip},
            "Email": email,
            "AccountType": account_type,
        }
        if mailing_address is not None:
            args["MailingAddress"] = address_to_soap(mailing_address)
        if promo_code:
            args["PromoCode"] = promo_code
        if credit_card is not None:
            exp = credit_card.expiration
            args["CreditCard"] = _compact(
                {
                    "CreditCardType": credit_card.card_type,
                    "AccountNumber": credit_card.number,
                    "CVN": credit_card.cvn,
                    "ExpirationDate": dt.datetime(exp.year, exp.month, exp.day),
                    "BillingAddress": address_to_soap(credit_card.billing_address)
                    if credit_card.billing_address
                    else None,
                }
            )
        r = self._call("RegisterAccount", authenticated=False, **args)
        result = Registration(
            status=_str(r, "RegistrationStatus"),
            user_id=_get(r, "UserId"),
            suggested_username=_str(r, "SuggestedUserName"),
            promo_url=_str(r, "PromoUrl"),
        )
        if not result.ok:
            hint = (
                f" Stamps.com suggests the username {result.suggested_username}."
                if result.suggested_username
                else ""
            )
            raise errors.RegistrationFailed(
                f"RegistrationStatus {result.status}",
                operation="RegisterAccount",
                what_to_do=errors.RegistrationFailed.what_to_do + hint,
            )
        return result

    def start_account_verification(self, phone_number: str, *, option: str = "SMS") -> None:
        """Send a 2-step verification code (R2). ``phone_number``: 10 US digits or E.164."""
        digits = "".join(ch for ch in phone_number if ch.isdigit())
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        self._call("StartAccountVerification", PhoneNumber=digits, PhoneVerificationOption=option)

    def finish_account_verification(self, code: str) -> None:
        self._call("FinishAccountVerification", PhoneVerificationCode=code)

    def get_account_info(self) -> AccountInfo:
        r = self._call("GetAccountInfo")
        info = _get(r, "AccountInfo")
        balance, control_total = _balance(info)
        auto = _get(info, "AutoBuySettings")
        caps = _get(info, "Capabilities")
        address = _get(r, "Address")
        return AccountInfo(
            username=_str(info, "Username") or self.username,
            balance=balance if balance is not None else Decimal("0.00"),
            control_total=control_total if control_total is not None else Decimal("0.00"),
            max_balance=_get(info, "MaxPostageBalance", Decimal("10000.00")),
            auto_buy=AutoBuy(
                enabled=bool(_get(auto, "AutoBuyEnabled", False)),
                purchase_amount=_get(auto, "PurchaseAmount", Decimal("0.00")),
                trigger_amount=_get(auto, "TriggerAmount", Decimal("0.00")),
            ),
            capabilities=Capabilities(
                can_print_cubic=bool(_get(caps, "CanPrintCubic", False)),
                can_print_gp=bool(_get(caps, "CanPrintGP", False)),
                can_print_international=bool(_get(caps, "CanPrintInternational", False)),
                can_purchase_postage=bool(_get(caps, "CanPurchasePostage", False)),
                can_create_scan_form=bool(_get(caps, "CanCreateSCANForm", False)),
                can_view_online_reports=bool(_get(caps, "CanViewOnlineReports", False)),
            ),
            customer_id=_get(info, "CustomerID"),
            account_id=_get(info, "AccountId"),
            plan_id=_get(info, "PlanID"),
            rateset_type=_str(info, "RatesetType"),
            account_status=_str(r, "AccountStatus"),
            verification_phone=_str(r, "VerificationPhoneNumber"),
            email=_str(r, "CustomerEmail"),
            address=address_from_soap(address) if address is not None else None,
        )

    def purchase_postage(
        self, amount: Decimal, control_total: Decimal, integrator_tx_id: str
    ) -> Purchase:
        """Buy postage with the card on file (R10-R12).

        ``control_total`` is the account's ControlTotal as last read (GetAccountInfo); the
        carrier refuses a purchase made against a stale one. ``integrator_tx_id`` makes the
        purchase idempotent, so timeouts are retried with it. A declined card raises
        ``CardDeclined`` (its ``purchase`` attribute holds the answer); Pending and Processing
        are returned: follow them with ``get_account_info``.
        """
        if not integrator_tx_id:
            raise ValueError("purchase_postage needs an IntegratorTxID (R28)")

        def as_purchase(r: Any) -> Purchase:
            balance, total = _balance(r)
            return Purchase(
                status=_str(r, "PurchaseStatus"),
                integrator_tx_id=integrator_tx_id,
                transaction_id=_get(r, "TransactionID"),
                balance=balance,
                control_total=total,
                rejection_reason=_str(r, "RejectionReason"),
            )

        def refuse(r: Any) -> errors.StampsError | None:
            purchase = as_purchase(r)
            if purchase.status != "Rejected":
                return None
            reason = purchase.rejection_reason
            error = errors.error_from_fault(reason, operation="PurchasePostage")
            if isinstance(error, errors.CarrierFault):
                # A rejection the wording does not explain is the card's (R12).
                error = errors.CardDeclined(reason, operation="PurchasePostage")
            error.purchase = purchase  # type: ignore[attr-defined]
            return error

        r = self._call(
            "PurchasePostage",
            refuse=refuse,
            PurchaseAmount=Decimal(amount).quantize(Decimal("0.01")),
            ControlTotal=Decimal(control_total).quantize(Decimal("0.01")),
            IntegratorTxID=integrator_tx_id,
        )
        return as_purchase(r)

    def set_auto_buy(
        self,
        enabled: bool,
        purchase_amount: Decimal | None = None,
        trigger_amount: Decimal | None = None,
    ) -> None:
        settings_ = {"AutoBuyEnabled": enabled}
        if purchase_amount is not None:
            settings_["PurchaseAmount"] = Decimal(purchase_amount)
        if trigger_amount is not None:
            settings_["TriggerAmount"] = Decimal(trigger_amount)
        self._call("SetAutoBuy", AutoBuySettings=settings_)

    def get_rates(self, request: RateRequest) -> list[Rate]:
        r = self._call("GetRates", Rate=_rate_to_soap(request), Carrier=request.carrier or None)
        return [_rate_from_soap(rate, request) for rate in _items(r, "Rates", "Rate")]

    def cleanse_address(self, address: Address, *, from_zip: str = "") -> CleansedAddress:
        args: dict[str, Any] = {"Address": address_to_soap(address)}
        if from_zip:
            args["FromZIPCode"] = from_zip
        r = self._call("CleanseAddress", **args)
        return CleansedAddress(
            address=address_from_soap(_get(r, "Address")),
            address_match=bool(_get(r, "AddressMatch", False)),
            city_state_zip_ok=bool(_get(r, "CityStateZipOK", False)),
            residential=_str(r, "ResidentialDeliveryIndicator"),
            is_po_box=bool(_get(r, "IsPOBox", False)),
            candidates=tuple(
                address_from_soap(a) for a in _items(r, "CandidateAddresses", "Address")
            ),
            result=_str(r, "AddressCleansingResult"),
            verification_level=_str(r, "VerificationLevel"),
        )

    def create_indicium(
        self,
        integrator_tx_id: str,
        rate: Rate,
        *,
        from_address: Address,
        to_address: Address,
        add_ons: Iterable[str] = (),
        customs: Customs | None = None,
        image_type: str = "Pdf",
        paper_size: str = "",
        memo: str = "",
        sample_only: bool = False,
        return_image_data: bool = False,
        reference: str = "",
    ) -> Indicium:
        """Buy a label. Idempotent by ``integrator_tx_id`` (R28): a retry after a timeout or
        a crash returns the same label instead of buying a second one."""
        if not integrator_tx_id:
            raise ValueError("create_indicium needs an IntegratorTxID (R28)")
        args: dict[str, Any] = {
            "IntegratorTxID": integrator_tx_id,
            "Rate": _rate_to_soap(
                rate, from_address=from_address, to_address=to_address, add_ons=add_ons
            ),
            "ImageType": image_type,
        }
        if customs is not None:
            args["Customs"] = _customs_to_soap(customs)
        if sample_only:
            args["SampleOnly"] = True
        if memo:
            args["memo"] = memo
        if paper_size:
            args["PaperSize"] = paper_size
        if return_image_data:
            args["ReturnImageData"] = True
        if reference:
            args["Reference1"] = reference
        r = self._call("CreateIndicium", **args)
        balance, total = _balance(r)
        rate_back = _get(r, "Rate")
        return Indicium(
            integrator_tx_id=_str(r, "IntegratorTxID") or integrator_tx_id,
            stamps_tx_id=_str(r, "StampsTxID"),
            tracking_number=_str(r, "TrackingNumber"),
            url=_str(r, "URL"),
            amount=_get(rate_back, "Amount") if rate_back is not None else rate.amount,
            balance=balance,
            control_total=total,
            image_data=tuple(_items(r, "ImageData", "base64Binary")),
            label_category=_str(r, "labelCategory"),
            rate=_rate_from_soap(rate_back, rate) if rate_back is not None else None,
        )

    def cancel_indicium(
        self, *, stamps_tx_id: str | None = None, tracking_number: str | None = None
    ) -> None:
        """Void a label (R27: refunded within 28 days; later voids raise VoidRefused)."""
        if bool(stamps_tx_id) == bool(tracking_number):
            raise ValueError("give exactly one of stamps_tx_id or tracking_number")
        if stamps_tx_id:
            choice = {"StampsTxIDs": {"guid": [stamps_tx_id]}}
        else:
            choice = {"TrackingNumbers": {"string": [tracking_number]}}
        self._call_choice("CancelIndicium", choice)

    def _call_choice(self, operation: str, choice: dict[str, Any], **kwargs: Any) -> Any:
        """Operations whose real WSDL wraps arguments in a repeated xsd:choice, which zeep
        takes as ``_value_1``; a simpler WSDL (the sandbox's) may take them by name."""
        if self._takes_choice_list(operation):
            return self._call(operation, _value_1=[choice], **kwargs)
        return self._call(operation, **choice, **kwargs)

    def _takes_choice_list(self, operation: str) -> bool:
        op = self._service._binding._operations[operation]
        signature = op.input.body.type.signature(schema=None) if op.input.body else ""
        return "_value_1" in signature or ")[]" in signature

    def create_manifest(
        self,
        *,
        from_address: Address,
        ship_date: dt.date,
        stamps_tx_ids: Iterable[str] = (),
        tracking_numbers: Iterable[str] = (),
        integrator_tx_id: str = "",
        image_type: str = "Pdf",
        manifest_type: str = "ScanForm",
    ) -> list[Manifest]:
        """A SCAN form (R30-R32). Not retried: the carrier may have closed it already."""
        args: dict[str, Any] = {
            "FromAddress": address_to_soap(from_address),
            "ShipDate": ship_date,
            "ImageType": image_type,
            "PrintInstructions": False,
            "ManifestType": manifest_type,
        }
        ids = list(stamps_tx_ids)
        numbers = list(tracking_numbers)
        if ids:
            args["StampsTxIds"] = {"guid": ids}
        if numbers:
            args["TrackingNumbers"] = {"string": numbers}
        if integrator_tx_id:
            args["IntegratorTxID"] = integrator_tx_id
        r = self._call("CreateManifest", **args)
        return [
            Manifest(
                manifest_id=_str(m, "ManifestId"),
                url=_str(m, "ManifestUrl"),
                manifest_type=_str(m, "ManifestType"),
            )
            for m in _items(r, "EndOfDayManifests", "EndOfDayManifest")
        ]

    @staticmethod
    def _packages(p: PickupPackages) -> dict[str, Any]:
        return _compact(
            {
                "NumberOfExpressMailPieces": p.express,
                "NumberOfPriorityMailPieces": p.priority,
                "NumberOfInternationalPieces": p.international,
                "NumberOfFirstClassPieces": p.first_class,
                "NumberOfParcelSelectPieces": p.parcel_select,
                "NumberOfOtherPieces": p.other,
                "TotalWeightOfPackagesLbs": p.total_weight_lb,
                "PackageLocation": p.location,
                "SpecialInstruction": p.instructions,
            }
        )

    @staticmethod
    def _pickup_from_soap(r: Any, status: str = "") -> Pickup:
        return Pickup(
            confirmation_number=_str(r, "ConfirmationNumber"),
            pickup_date=_str(r, "PickupDate"),
            day_of_week=_str(r, "PickUpDayOfWeek"),
            earliest=_str(r, "PickupTimeEarliest"),
            latest=_str(r, "PickupTimeLatest"),
            estimated_amount=_get(r, "EstimatedAmount"),
            status=_str(r, "PickupStatus") or status,
        )

    def schedule_carrier_pickup(
        self, contact: PickupContact, address: PickupAddress, packages: PickupPackages
    ) -> Pickup:
        """R33: the carrier schedules one day ahead; the answer's date is the real one."""
        r = self._call(
            "ScheduleCarrierPickup",
            ContactInformation=_pickup_contact(contact, with_email=True),
            Address=_compact(
                {
                    "Company": address.company,
                    "Address": address.address,
                    "City": address.city,
                    "State": address.state,
                    "ZIP": address.zip_code,
                    "ZIP4": address.zip4,
                    "Address2": address.address2,
                }
            ),
            PackageInformation=self._packages(packages),
        )
        return self._pickup_from_soap(r, status="Scheduled")

    def modify_carrier_pickup(
        self, confirmation_number: str, contact: PickupContact, packages: PickupPackages
    ) -> Pickup:
        r = self._call(
            "ModifyCarrierPickup",
            ContactInformation=_pickup_contact(contact, with_email=False),
            PackageInformation=self._packages(packages),
            ConfirmationNumber=confirmation_number,
        )
        return self._pickup_from_soap(r, status="Modified")

    def cancel_carrier_pickup(self, confirmation_number: str) -> str:
        r = self._call("CancelCarrierPickup", ConfirmationNumber=confirmation_number)
        return _str(r, "PickupStatus")

    def get_url(self, url_type: str, *, application_context: str = "") -> str:
        """R9: a link to the carrier's own pages (AccountSettingsPage, OnlineReportsPage)."""
        r = self._call("GetURL", URLType=url_type, ApplicationContext=application_context)
        return _str(r, "URL")

    def track_shipment(
        self, *, tracking_number: str | None = None, stamps_tx_id: str | None = None
    ) -> Tracking:
        if bool(tracking_number) == bool(stamps_tx_id):
            raise ValueError("give exactly one of tracking_number or stamps_tx_id")
        choice = (
            {"TrackingNumber": tracking_number} if tracking_number else {"StampsTxID": stamps_tx_id}
        )
        r = self._call("TrackShipment", **choice)
        dest = _get(r, "DestinationInfo")
        return Tracking(
            events=tuple(
                TrackingEvent(
                    timestamp=_get(e, "Timestamp"),
                    event=_str(e, "Event"),
                    event_type=_str(e, "TrackingEventType"),
                    city=_str(e, "City"),
                    state=_str(e, "State"),
                    zip_code=_str(e, "Zip"),
                    country=_str(e, "Country"),
                    signed_by=_str(e, "SignedBy"),
                )
                for e in _items(r, "TrackingEvents", "TrackingEvent")
            ),
            expected_delivery=_get(r, "ExpectedDeliveryDate"),
            guaranteed_delivery=_get(r, "GuaranteedDeliveryDate"),
            service_description=_str(r, "ServiceDescription"),
            carrier=_str(r, "Carrier"),
            destination={
                k: _str(dest, f"Destination{k}") for k in ("City", "State", "Zip", "Country")
            }
            if dest is not None
            else {},
        )


# --------------------------------------------------------------------------------------------
# The factory seam: everything in ShipDesk gets its client here (tests patch these).


def get_client(username: str = "", password: str = "", **options: Any) -> StampsClient:
    """A client for a username and password not (yet) saved: connect (R1), sign-up (R2)."""
    return StampsClient(username, password, **options)


def client_for(account: Any, **options: Any) -> StampsClient:
    """The client for a saved CarrierAccount (its calls are logged against it)."""
    return StampsClient(account.username, account.password or "", account=account, **options)
