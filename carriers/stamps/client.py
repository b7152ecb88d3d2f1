"""The Stamps.com SWSIM client: the only place in ShipDesk that speaks SOAP (through zeep).

Use it through the factory seam, so tests and the rest of ShipDesk replace exactly one thing::

    client = client_for(account)          # a connected CarrierAccount
    client = get_client(username, pw)     # before an account is saved (R1), or for sign-up

Contract:

- The WSDL is parsed once per process per location; ``carriers.stamps.transport`` says
  where it and the service address come from. Answers become dataclasses in
  ``carriers.stamps.mapping``.
- Authentication: every call carries the account's Credentials (``_call`` says why: one
  conversation per account at Stamps.com, R38), so no Authenticator is ever kept or reused
  and no process waits for another. A wrong password is final (R7).
- Results are the dataclasses of ``carriers.stamps.types``; failures raise
  ``carriers.stamps.errors.StampsError`` subclasses.
- Retries only where safe: read-only operations retry temporary failures; CreateIndicium
  retries them only with the same IntegratorTxID (R28); PurchasePostage is never re-sent
  (R44); everything else is never retried blindly.
- Every attempt is recorded as a ``carriers.models.CarrierCall`` (``carriers.stamps.calllog``
  says how the record survives a caller's rollback), with secrets redacted.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone

from carriers.stamps import errors, limits, mapping, transport
from carriers.stamps.calllog import record_call
from carriers.stamps.soap import (
    address_to_soap,
    items_of,
    pickup_contact_to_soap,
    rate_from_soap,
    rate_to_soap,
    text_of,
)

# Re-exported: tests and benchmarks read them here.
from carriers.stamps.transport import endpoints as endpoints
from carriers.stamps.transport import wsdl_parse_count as wsdl_parse_count
from carriers.stamps.types import (
    AccountInfo,
    Address,
    Authentication,
    CleansedAddress,
    CreditCard,
    Customs,
    Indicium,
    LabelImage,
    LabelRefund,
    Manifest,
    Pickup,
    PickupAddress,
    PickupContact,
    PickupPackages,
    Purchase,
    Rate,
    RateRequest,
    Registration,
    Reprint,
    ReturnLabel,
    Tracking,
)

READ_ONLY = frozenset(
    {
        "AuthenticateUser",
        "GetRates",
        "GetAccountInfo",
        "CleanseAddress",
        "TrackShipment",
        "GetURL",
        "ReprintIndicium",
        "GetShipmentList",
    }
)
# Conversation faults (R38) a call sends again before telling the merchant.
STALE_RETRIES = 3
# GetShipmentList's largest page (its ShipmentsPerPage is integer-ge-1-le-500).
REFUNDS_PER_PAGE = 500
# PurchasePostage is never re-sent (R44): nothing public says Stamps.com de-duplicates a
# repeated IntegratorTxID for purchases; a purchase left unanswered is followed with
# GetAccountInfo (funding.purchases.resolve_purchase).
SAME_TX_RETRY = frozenset({"CreateIndicium"})
PARTNER_PHONE_HEADER = "X-SDC-FINISHACCOUNTVERIFICATION-PHONE"


DEFAULT_IMAGE = LabelImage()
# A label or customs form image is a few hundred kilobytes; anything far larger is not one.
MAX_IMAGE_BYTES = 20 * 1024 * 1024


def download_image(url: str, timeout: float | None = None) -> bytes:
    """The carrier's label or form image behind ``url`` (CreateIndicium's URL or FormURL).

    The one place ShipDesk fetches a carrier file. An expired or refused link raises
    ``LabelImageExpired`` (ask again with ReprintIndicium); a network failure or a 5xx
    raises ``CarrierUnavailable`` (try the same link again)."""
    if not url.startswith(("https://", "http://")):
        raise errors.LabelImageExpired(f"not a label link: {url[:60]!r}", operation="GetImage")
    if url.startswith("http://") and not settings.STAMPS_SANDBOX:
        raise errors.LabelImageExpired("label links must be https", operation="GetImage")
    wait = timeout if timeout is not None else float(settings.STAMPS_TIMEOUT)
    try:
        with requests.get(url, timeout=wait, stream=True) as response:
            if response.status_code in (401, 403, 404, 410):
                raise errors.LabelImageExpired(f"HTTP {response.status_code}", operation="GetImage")
            if response.status_code >= 400:
                raise errors.CarrierUnavailable(
                    f"HTTP {response.status_code}", operation="GetImage"
                )
            chunks, size = [], 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > MAX_IMAGE_BYTES:
                    raise errors.CarrierFault("label image too large", operation="GetImage")
                chunks.append(chunk)
    except requests.RequestException as exc:
        raise errors.CarrierUnavailable(
            f"{type(exc).__name__}", fault_code="connection", operation="GetImage"
        ) from exc
    return b"".join(chunks)


def reset_wsdl_cache() -> None:
    """Forget parsed WSDLs (tests that change endpoints)."""
    transport.forget_wsdls()


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
        self._zeep = transport.wsdl_client(self.wsdl)
        self._service = transport.service(self.wsdl, self.address)

    def __repr__(self) -> str:
        return f"StampsClient({self.username!r}, address={self.address!r})"

    # -- plumbing ------------------------------------------------------------------------

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
        cause: BaseException | None = None
        # One of the account's call slots, shared by every process (limits.py): the wait for
        # it is not the carrier's time, so the call's clock starts once it is held.
        with limits.in_flight(self.username, operation):
            started = timezone.now()
            t0 = time.perf_counter()
            try:
                response = transport.exchange(
                    self._zeep, self._service, operation, kwargs, self.timeout
                )
            except transport.EXCHANGE_ERRORS as exc:
                response, cause = None, exc
                error: errors.StampsError | None = transport.error_for(operation, exc, self.timeout)
            else:
                error = refuse(response) if refuse is not None else None
            duration = time.perf_counter() - t0
        limits.note_answer(self.username, duration, error)
        record_call(
            self.account,
            self.username,
            operation,
            started=started,
            duration=duration,
            attempt=attempt,
            kwargs=kwargs,
            error=error,
        )
        if error is None:
            return response
        raise error from cause

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
        """Call ``operation`` signed with the account's Credentials, retrying temporary
        failures where that is safe.

        Credentials on every call (as ShipWorks' v135 client does) instead of following the
        Authenticator chain: SWSIM keeps one conversation per account, each answer's
        Authenticator supersedes the previous one and an old one is refused (R38). Every web
        and worker process would have to take turns on one chain; with Credentials no call
        depends on another, whatever the live service allows for parallel conversations."""
        attempt = 0
        stale = 0
        while True:
            attempt += 1
            args = {"Credentials": self._credentials(), **kwargs} if authenticated else kwargs
            try:
                return self._attempt(operation, args, attempt, refuse)
            except errors.AuthenticatorExpired:
                # Not expected with Credentials; should the carrier still answer a
                # conversation fault, the request was refused before any work, so it is
                # safe to send again. A few times: a call that waited for an in-flight slot
                # may meet another process's fault on the way back.
                stale += 1
                if stale > STALE_RETRIES:
                    raise
                continue
            except errors.StampsError as error:
                if not self._may_retry(operation, error, attempt):
                    raise
                self._pause(attempt)
                continue

    def _credentials(self) -> dict[str, str]:
        if not self.username:
            raise errors.AuthenticationFailed(
                "no username", operation="AuthenticateUser", fault_code="no-credentials"
            )
        return {
            "IntegrationID": self.integration_id,
            "Username": self.username,
            "Password": str(self._password),
        }

    # -- operations ----------------------------------------------------------------------

    def authenticate(self) -> Authentication:
        """Check the username and password (R1: before an account is saved)."""
        response = self._call(
            "AuthenticateUser", authenticated=False, Credentials=self._credentials()
        )
        return mapping.authentication_from_soap(response)

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
        args = mapping.registration_request(
            integration_id=self.integration_id,
            username=username,
            password=password,
            email=email,
            physical_address=physical_address,
            credit_card=credit_card,
            mailing_address=mailing_address,
            account_type=account_type,
            promo_code=promo_code,
            machine_ip=machine_ip,
        )
        r = self._call("RegisterAccount", authenticated=False, **args)
        result = mapping.registration_from_soap(r)
        refusal = mapping.registration_refusal(result)
        if refusal is not None:
            raise refusal
        return result

    def start_account_verification(self, phone_number: str, *, option: str = "SMS") -> None:
        """Send a 2-step verification code (R2). ``phone_number``: 10 US digits or E.164."""
        digits = "".join(ch for ch in phone_number if ch.isdigit())
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        self._call("StartAccountVerification", PhoneNumber=digits, PhoneVerificationOption=option)

    def finish_account_verification(self, code: str, *, partner_phone: str = "") -> None:
        """R42: ``code`` is the one StartAccountVerification sent, or, with ``partner_phone``
        (the 10 digits the partner verified itself), the partner code Stamps.com issued."""
        if not partner_phone:
            self._call("FinishAccountVerification", PhoneVerificationCode=code)
            return
        with transport.http_headers({PARTNER_PHONE_HEADER: partner_phone}):
            self._call("FinishAccountVerification", PhoneVerificationCode=code)

    def get_account_info(self) -> AccountInfo:
        return mapping.account_info_from_soap(self._call("GetAccountInfo"), self.username)

    def purchase_postage(
        self, amount: Decimal, control_total: Decimal, integrator_tx_id: str
    ) -> Purchase:
        """Buy postage with the card on file (R10-R12).

        ``control_total`` is the account's ControlTotal as last read (GetAccountInfo); the
        carrier refuses a purchase made against a stale one. Sent once, never retried (R44):
        a timeout raises CarrierUnavailable and the caller follows the balance. A declined
        card raises
        ``CardDeclined`` (its ``purchase`` attribute holds the answer); Pending and Processing
        are returned: follow them with ``get_account_info``.
        """
        if not integrator_tx_id:
            raise ValueError("purchase_postage needs an IntegratorTxID (R28)")

        def refuse(r: Any) -> errors.StampsError | None:
            return mapping.purchase_refusal(r, integrator_tx_id)

        r = self._call(
            "PurchasePostage",
            refuse=refuse,
            PurchaseAmount=Decimal(amount).quantize(Decimal("0.01")),
            ControlTotal=Decimal(control_total).quantize(Decimal("0.01")),
            IntegratorTxID=integrator_tx_id,
        )
        return mapping.purchase_from_soap(r, integrator_tx_id)

    def set_auto_buy(
        self,
        enabled: bool,
        purchase_amount: Decimal | None = None,
        trigger_amount: Decimal | None = None,
    ) -> None:
        settings_: dict[str, bool | Decimal] = {"AutoBuyEnabled": enabled}
        if purchase_amount is not None:
            settings_["PurchaseAmount"] = Decimal(purchase_amount)
        if trigger_amount is not None:
            settings_["TriggerAmount"] = Decimal(trigger_amount)
        self._call("SetAutoBuy", AutoBuySettings=settings_)

    def get_rates(self, request: RateRequest) -> list[Rate]:
        r = self._call("GetRates", Rate=rate_to_soap(request), Carrier=request.carrier or None)
        return [rate_from_soap(rate, request) for rate in items_of(r, "Rates", "Rate")]

    def cleanse_address(self, address: Address, *, from_zip: str = "") -> CleansedAddress:
        args: dict[str, Any] = {"Address": address_to_soap(address)}
        if from_zip:
            args["FromZIPCode"] = from_zip
        return mapping.cleansed_address_from_soap(self._call("CleanseAddress", **args))

    def create_indicium(
        self,
        integrator_tx_id: str,
        rate: Rate,
        *,
        from_address: Address,
        to_address: Address,
        add_ons: Iterable[str] = (),
        customs: Customs | None = None,
        image: LabelImage = DEFAULT_IMAGE,
        memo: str = "",
        sample_only: bool = False,
        return_image_data: bool = False,
        references: Iterable[str] = (),
        non_delivery: str = "",
        return_label: ReturnLabel | None = None,
    ) -> Indicium:
        """Buy a label. Idempotent by ``integrator_tx_id`` (R28): a retry after a timeout or
        a crash returns the same label instead of buying a second one.

        ``image``: the kind, paper and resolution the carrier draws the label in (R39);
        ``references``: up to three label messages (Reference1-3, printed on the label);
        ``non_delivery``: the customs form's NonDeliveryOption (Return, Abandon);
        ``return_label`` makes it a prepaid return label (R46)."""
        if not integrator_tx_id:
            raise ValueError("create_indicium needs an IntegratorTxID (R28)")
        args = mapping.indicium_request(
            integrator_tx_id,
            rate,
            from_address=from_address,
            to_address=to_address,
            add_ons=add_ons,
            customs=customs,
            image=image,
            memo=memo,
            sample_only=sample_only,
            return_image_data=return_image_data,
            references=references,
            non_delivery=non_delivery,
            return_label=return_label,
        )
        r = self._call("CreateIndicium", **args)
        return mapping.indicium_from_soap(r, rate, integrator_tx_id)

    def reprint_indicium(
        self, stamps_tx_id: str, image: LabelImage, *, return_image_data: bool = False
    ) -> Reprint:
        """The image of a label already bought, drawn again in ``image`` (any kind): no
        postage is bought, so it is safe to repeat (a lost download is fetched this way)."""
        request = mapping.reprint_request(
            stamps_tx_id=stamps_tx_id, image=image, return_image_data=return_image_data
        )
        # The one operation whose Credentials sit inside its request element.
        r = self._call(
            "ReprintIndicium",
            authenticated=False,
            indiciumRequest={"Credentials": self._credentials(), **request},
        )
        return mapping.reprint_from_soap(r)

    def cancel_indicium(
        self, *, stamps_tx_id: str | None = None, tracking_number: str | None = None
    ) -> None:
        """Void a label (R27: refunded within 28 days; later voids raise VoidRefused)."""
        if bool(stamps_tx_id) == bool(tracking_number):
            raise ValueError("give exactly one of stamps_tx_id or tracking_number")
        choice: dict[str, Any]
        if stamps_tx_id:
            choice = {"StampsTxIDs": {"guid": [stamps_tx_id]}}
        else:
            choice = {"TrackingNumbers": {"string": [tracking_number]}}
        self._call_choice("CancelIndicium", choice)

    def _call_choice(self, operation: str, choice: dict[str, Any], **kwargs: Any) -> Any:
        """Operations whose real WSDL wraps arguments in a repeated xsd:choice, which zeep
        takes as ``_value_1``; a simpler WSDL (the sandbox's) may take them by name."""
        if transport.takes_choice_list(self._zeep, operation):
            return self._call(operation, _value_1=[choice], **kwargs)
        return self._call(operation, **choice, **kwargs)

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
        args = mapping.manifest_request(
            from_address=from_address,
            ship_date=ship_date,
            stamps_tx_ids=stamps_tx_ids,
            tracking_numbers=tracking_numbers,
            integrator_tx_id=integrator_tx_id,
            image_type=image_type,
            manifest_type=manifest_type,
        )
        return mapping.manifests_from_soap(self._call("CreateManifest", **args))

    def schedule_carrier_pickup(
        self, contact: PickupContact, address: PickupAddress, packages: PickupPackages
    ) -> Pickup:
        """R33: the carrier schedules one day ahead; the answer's date is the real one."""
        r = self._call(
            "ScheduleCarrierPickup",
            ContactInformation=pickup_contact_to_soap(contact, with_email=True),
            Address=mapping.pickup_address_to_soap(address),
            PackageInformation=mapping.pickup_packages_to_soap(packages),
        )
        return mapping.pickup_from_soap(r, status="Scheduled")

    def modify_carrier_pickup(
        self, confirmation_number: str, contact: PickupContact, packages: PickupPackages
    ) -> Pickup:
        r = self._call(
            "ModifyCarrierPickup",
            ContactInformation=pickup_contact_to_soap(contact, with_email=False),
            PackageInformation=mapping.pickup_packages_to_soap(packages),
            ConfirmationNumber=confirmation_number,
        )
        return mapping.pickup_from_soap(r, status="Modified")

    def cancel_carrier_pickup(self, confirmation_number: str) -> str:
        r = self._call("CancelCarrierPickup", ConfirmationNumber=confirmation_number)
        return text_of(r, "PickupStatus")

    def get_url(self, url_type: str, *, application_context: str = "") -> str:
        """R9: a link to the carrier's own pages (AccountSettingsPage, OnlineReportsPage)."""
        r = self._call("GetURL", URLType=url_type, ApplicationContext=application_context)
        return text_of(r, "URL")

    def get_refunds(self, printed_from: dt.date, printed_to: dt.date) -> list[LabelRefund]:
        """R41: the refunds of labels printed between the two dates (inclusive) and voided,
        as GetShipmentList (SearchCriteria ``Refund``) reports them. One page of at most
        ``REFUNDS_PER_PAGE``: callers ask for narrow date ranges."""
        r = self._call(
            "GetShipmentList",
            ShipmentsPerPage=REFUNDS_PER_PAGE,
            Filters={
                "PrintDateMin": printed_from,
                "PrintDateMax": printed_to,
                "SearchCriteria": {"SearchFor": ["Refund"]},
            },
            IncludeFields={
                "IncludeField": [
                    "StampsTxId",
                    "ShipmentStatus",
                    "TrackingNumber",
                    "RefundType",
                    "RefundStatus",
                ]
            },
        )
        return mapping.refunds_from_soap(r)

    def track_shipment(
        self, *, tracking_number: str | None = None, stamps_tx_id: str | None = None
    ) -> Tracking:
        if bool(tracking_number) == bool(stamps_tx_id):
            raise ValueError("give exactly one of tracking_number or stamps_tx_id")
        choice = (
            {"TrackingNumber": tracking_number} if tracking_number else {"StampsTxID": stamps_tx_id}
        )
        return mapping.tracking_from_soap(self._call("TrackShipment", **choice))


# --------------------------------------------------------------------------------------------
# The factory seam: everything in ShipDesk gets its client here (tests patch these).


def get_client(username: str = "", password: str = "", **options: Any) -> StampsClient:
    """A client for a username and password not (yet) saved: connect (R1), sign-up (R2)."""
    return StampsClient(username, password, **options)


def client_for(account: Any, **options: Any) -> StampsClient:
    """The client for a saved CarrierAccount (its calls are logged against it)."""
    return StampsClient(account.username, account.password or "", account=account, **options)
