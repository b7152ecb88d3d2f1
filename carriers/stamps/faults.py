"""Stamps.com SWSIM fault codes and wording: the one table the sandbox answers from and the
client's error mapping (``carriers.stamps.errors``) reads.

SWSIM puts a hexadecimal code in ``detail/sdcerror/@code`` and its own words in
``faultstring``. Where the live code or wording is known from public SWSIM clients, the entry
says so in ``source``:

- ShipWorks (interapptive/ShipWorks, ``StampsContractWebClient.IsStaleAuthenticator`` and the
  v135 ``UspsWebClient``): 0x002b0201 and 0x002b0203 "invalid", 0x002b0202 "expired",
  0x002b0204 "out of sync" are all stale-conversation faults that a new sign-in cures; its rating
  code recognises a wrong password by the wording "The username or password entered is not
  correct".
- WooCommerce Shipping's Stamps.com client (``do_request``) signs in again on exactly the same
  four codes.
- active_shipping (Shopify, ``stamps.rb``), hibou ``delivery_stamps`` (Odoo) and
  EasyKeys.Shipping (.NET) show the fault shape (soap:Fault, faultstring, sdcerror code) and
  treat any other fault as final, shown with the carrier's words.

Every other code is the sandbox's own numbering in the same style (``source`` = "sandbox"):
its wording follows what merchants report from the Stamps.com UI and ShipStation's help pages,
and the live code stays unknown until a partner account confirms it (see the sandbox README).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    code: str  # detail/sdcerror/@code, 8 lower-case hex digits without 0x
    text: str  # faultstring (or how it starts)
    error: str  # the carriers.stamps.errors class a client raises for it
    source: str  # where the code and wording are known from


SHIPWORKS = "ShipWorks, WooCommerce Shipping"
SANDBOX = "sandbox"

# Stale conversations (R38): the client signs in again (or never depends on the conversation).
AUTHENTICATOR_INVALID = Fault(
    "002b0201",
    "Invalid authenticator: the conversation token is unknown.",
    "AuthenticatorExpired",
    SHIPWORKS,
)
AUTHENTICATOR_EXPIRED = Fault(
    "002b0202", "Authenticator expired: sign in again.", "AuthenticatorExpired", SHIPWORKS
)
AUTHENTICATOR_REJECTED = Fault(
    "002b0203",
    "Invalid authenticator: it does not belong to this account.",
    "AuthenticatorExpired",
    SHIPWORKS,
)
CONVERSATION_OUT_OF_SYNC = Fault(
    "002b0204",
    "Conversation out-of-sync: this authenticator was superseded by a later answer.",
    "AuthenticatorExpired",
    SHIPWORKS,
)
# Accounts.
BAD_CREDENTIALS = Fault(
    "002b0101",
    "The username or password entered is not correct.",
    "AuthenticationFailed",
    "wording: ShipWorks (rating); code: sandbox",
)
CLOSED_PLAN = Fault("002b0102", "Account is set to a closed plan", "ClosedPlan", SANDBOX)
NOT_VERIFIED = Fault(
    "002b0210",
    "This account has not completed 2-step verification. Verify the phone number on the "
    "account before purchasing postage or printing labels.",
    "AccountNotVerified",
    SANDBOX,
)
CODE_EXPIRED = Fault(
    "002b0220",
    "The verification code has expired. Request a new code.",
    "VerificationFailed",
    SANDBOX,
)
CODE_LOCKED = Fault(
    "002b0221",
    "Too many incorrect verification attempts. Request a new code.",
    "VerificationFailed",
    SANDBOX,
)
CODE_WRONG = Fault("002b0222", "The verification code is incorrect.", "VerificationFailed", SANDBOX)
VERIFICATION_NOT_STARTED = Fault(
    "002b0223",
    "No verification code was sent for this account. Call StartAccountVerification first.",
    "VerificationFailed",
    SANDBOX,
)
# Requests the service could not read or that break its schema.
SCHEMA = Fault(
    "00500000",
    "Invalid SOAP message due to XML Schema validation failure.",
    "SchemaValidation",
    "wording: live service (issue 15); code: sandbox",
)
UNKNOWN_VALUE = Fault(
    "00500001", "Requested value '{value}' was not found", "SchemaValidation", SANDBOX
)
UNKNOWN_ACTION = Fault(
    "00500002",
    "Server did not recognize the value of HTTP Header SOAPAction",
    "CarrierFault",
    SANDBOX,
)
BAD_WEIGHT = Fault("00500010", "Weight must be greater than 0.", "SchemaValidation", SANDBOX)
NOT_OFFERED = Fault(
    "00500011",
    "is not available for this package type, weight or destination.",
    "CarrierFault",
    SANDBOX,
)
# Postage.
BELOW_MINIMUM = Fault(
    "00600001", "Purchase amount must be at least $10.00.", "PurchaseLimit", SANDBOX
)
ABOVE_MAXIMUM = Fault(
    "00600002", "This purchase would exceed the maximum postage balance", "PurchaseLimit", SANDBOX
)
CONTROL_TOTAL = Fault("00600003", "Control total mismatch", "ControlTotalMismatch", SANDBOX)
NEGATIVE_TRIGGER = Fault(
    "00600004", "TriggerAmount must not be negative.", "SchemaValidation", SANDBOX
)
INSUFFICIENT_FUNDS = Fault("00600010", "Insufficient funds", "InsufficientFunds", SANDBOX)
# Labels.
FROM_NAME = Fault(
    "00700001", "Ship From Name must contain at least two words.", "AddressValidation", SANDBOX
)
# A To address sent without the CleanseHash (or OverrideHash) CleanseAddress gave it (R37).
CLEANSE_HASH = Fault(
    "00700030", "To Address does not match Cleanse Hash.", "AddressValidation", SANDBOX
)
# SWSIM's Address has State for US addresses and Province for every other country (issue 15,
# point 8); whether the live service refuses State abroad or ignores it is unknown, so the
# sandbox refuses it, and ShipDesk never sends it.
STATE_ABROAD = Fault(
    "00700031",
    "State is only for US addresses: send the province or region of an address outside the "
    "US in Province.",
    "AddressValidation",
    SANDBOX,
)
TO_NAME = Fault(
    "00700002", "Ship To Name must contain at least two words.", "AddressValidation", SANDBOX
)
CUSTOMS = Fault("00700003", "Customs information is required", "CarrierFault", SANDBOX)
FCI_FLATS = Fault("00700004", "First-Class Mail International flats", "CarrierFault", SANDBOX)
ADD_ON = Fault("00700005", "is not offered", "CarrierFault", SANDBOX)
NO_TRACKING = Fault("00700010", "Tracking number was not found.", "CarrierFault", SANDBOX)
NO_TX = Fault("00700011", "StampsTxID was not found.", "CarrierFault", SANDBOX)
DUPLICATE_TX = Fault(
    "00700006", "Duplicate IntegratorTxID; retry to get the label.", "CarrierUnavailable", SANDBOX
)
VOID_TOO_LATE = Fault("00700020", "cannot be voided", "VoidRefused", SANDBOX)
REPRINT_VOIDED = Fault(
    "00700021", "has been refunded and cannot be printed again.", "CarrierFault", SANDBOX
)
NO_INTEGRATOR_TX = Fault("00700012", "IntegratorTxId was not found.", "CarrierFault", SANDBOX)
IMAGE_TYPE = Fault("00500003", "is not produced by the ShipDesk sandbox", "CarrierFault", SANDBOX)
# Return labels (R46): a Rate.PrintLayout starting with "Return" on CreateIndicium.
RETURN_LAYOUT = Fault("00700040", "is not a return label layout", "CarrierFault", SANDBOX)
RETURN_DOMESTIC = Fault(
    "00700041",
    "Return labels can only carry parcels from and to domestic addresses.",
    "CarrierFault",
    SANDBOX,
)
RETURN_SERVICE = Fault("00700042", "is not offered for return labels", "CarrierFault", SANDBOX)
RETURN_EXPIRY = Fault(
    "00700043", "ReturnLabelExpirationDays must be from 1 to 365.", "CarrierFault", SANDBOX
)
RETURN_FROM = Fault(
    "00700044",
    "A return label needs the sender's full name and address in Rate.From.",
    "CarrierFault",
    SANDBOX,
)
RETURN_TO_ADDRESS = Fault(
    "00700045", "The ReturnTo address is incomplete.", "CarrierFault", SANDBOX
)
# End of day.
MANIFEST_EMPTY = Fault("00800001", "No shipments to close", "ScanFormFailure", SANDBOX)
MANIFEST_TOO_LATE = Fault(
    "00800002", "SCAN forms must be created before 9 PM", "ScanFormTooLate", SANDBOX
)
ALREADY_SCANNED = Fault(
    "00800003",
    "One or more of these packages have already been scanned by USPS",
    "ScanFormAlreadyScanned",
    SANDBOX,
)
BUFFER_QUOTA = Fault("00800004", "buffer quota exceeded", "ScanFormFailure", SANDBOX)
MANIFEST_OTHER = Fault("00800005", "Unable to create the SCAN form", "ScanFormFailure", SANDBOX)
VOIDED_ON_FORM = Fault(
    "00800006", "was voided and cannot be on a SCAN form.", "ScanFormFailure", SANDBOX
)
PICKUP_NOT_FOUND = Fault("00800010", "Pickup was not found.", "CarrierFault", SANDBOX)
PICKUP_CANCELLED = Fault(
    "00800011", "A cancelled pickup cannot be modified.", "CarrierFault", SANDBOX
)
INJECTED = Fault("00ff0000", "(a test's injected fault)", "CarrierFault", SANDBOX)

TABLE: dict[str, Fault] = {f.code: f for f in list(globals().values()) if isinstance(f, Fault)}

# The codes a fresh sign-in cures (ShipWorks' IsStaleAuthenticator list, SWSIM range).
STALE_CONVERSATION = frozenset(f.code for f in TABLE.values() if f.error == "AuthenticatorExpired")


def normal_code(code: str) -> str:
    """``0x002B0204`` and ``002b0204`` alike."""
    return code.strip().lower().removeprefix("0x")
