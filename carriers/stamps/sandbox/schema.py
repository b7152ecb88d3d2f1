"""The subset of SWSIM v135 the sandbox speaks, written once and used three ways.

The same declarations render the sandbox WSDL (``wsdl.py``), parse incoming requests
(``soap.parse_body``) and order the response elements (``soap.render_body``). Names,
order, types and minOccurs follow Stamps.com's v135 WSDL; types are flattened (a derived
type lists its base's elements first, as the real extension chain does), optional
elements ShipDesk does not use are left out, and enumerations list only the values the
sandbox supports. ``tests/carriers/sandbox/test_wsdl_subset.py`` proves every name here
exists in the real WSDL.

Field syntax, one per line: ``Name Type [?|*] [!]``: ``?`` minOccurs=0, ``*`` 0..unbounded,
``!`` nillable. A type without prefix is ours (tns), ``s:`` is XML Schema, ``s1:guid`` is
Microsoft's GUID type. ``|`` starts a choice (``|*`` a repeatable, optional choice) whose
options are separated by ``;``. ``AUTH`` is the Authenticator-or-Credentials choice.
"""

from __future__ import annotations

from dataclasses import dataclass

TNS = "http://stamps.com/xml/namespace/2023/07/swsim/SwsimV135"
MS_TYPES_NS = "http://microsoft.com/wsdl/types/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"

AUTH = "| Authenticator s:string ? ; Credentials Credentials ?"

# name -> (base, minLength, maxLength) for strings; (base, min, max) bounds for numbers.
RESTRICTED = {
    "string-0-4": ("s:string", 0, 4),
    "string-0-5": ("s:string", 0, 5),
    "string-0-6": ("s:string", 0, 6),
    "string-0-12": ("s:string", 0, 12),
    "string-0-15": ("s:string", 0, 15),
    "string-0-16": ("s:string", 0, 16),
    "string-0-20": ("s:string", 0, 20),
    "string-0-25": ("s:string", 0, 25),
    "string-0-28": ("s:string", 0, 28),
    "string-0-29": ("s:string", 0, 29),
    "string-0-3": ("s:string", 0, 3),
    "string-0-30": ("s:string", 0, 30),
    "string-0-40": ("s:string", 0, 40),
    "string-0-50": ("s:string", 0, 50),
    "string-0-75": ("s:string", 0, 75),
    "string-0-76": ("s:string", 0, 76),
    "string-0-100": ("s:string", 0, 100),
    "string-0-128": ("s:string", 0, 128),
    "string-0-320": ("s:string", 0, 320),
    "string-1-35": ("s:string", 1, 35),
    "string-1-50": ("s:string", 1, 50),
    "string-1-128": ("s:string", 1, 128),
    "string-2-2": ("s:string", 2, 2),
    "string-2-60": ("s:string", 2, 60),
    "string-2-100": ("s:string", 2, 100),
    "string-5-5": ("s:string", 5, 5),
    "string-6-20": ("s:string", 6, 20),
    "string-10-10": ("s:string", 10, 10),
    "double-le-999": ("s:double", None, 999),
    "double-ge-1": ("s:double", 1, None),
    "decimal-ge-0": ("s:decimal", 0, None),
    "integer-ge-1-le-500": ("s:integer", 1, 500),
}

ENUMS = {
    "ServiceType": [
        "US-FC",
        "US-PM",
        "US-XM",
        "US-MM",
        "US-EMI",
        "US-PMI",
        "US-FCI",
        "SC-GPE",
        "SC-GPP",
        "SC-GPESS",
        "SC-GPPSS",
        "US-GA",
    ],
    "PackageTypeV11": [
        "Letter",
        "Large Envelope or Flat",
        "Thick Envelope",
        "Package",
        "Flat Rate Box",
        "Small Flat Rate Box",
        "Large Flat Rate Box",
        "Flat Rate Envelope",
        "Flat Rate Padded Envelope",
        "Legal Flat Rate Envelope",
    ],
    "AddOnTypeV20": [
        "US-A-INS",
        "US-A-DC",
        "US-A-SC",
        "US-A-SR",
        "US-A-HM",
        "US-A-ASR",
        "US-A-HFPU",
        "US-A-DDP",
    ],
    "PurchaseStatus": ["Pending", "Processing", "Success", "Rejected"],
    "UrlType": ["HomePage", "AccountSettingsPage", "OnlineReportsPage", "StoreBuyPostage"],
    "ManifestType": ["ScanForm", "GlobalAdvantage", "GlobalPost", "All"],
    "Carrier": ["All", "USPS"],
    "CarrierPickupType": ["Default"],
    "CarrierPickupLocationV1": [
        "FrontDoor",
        "BackDoor",
        "SideDoor",
        "KnockOnDoorOrRingBell",
        "MailRoom",
        "Office",
        "Reception",
        "InOrAtMailbox",
        "Other",
    ],
    "PhoneVerificationOption": ["SMS", "Voice"],
    "AccountType": ["Individual", "HomeOffice", "HomeBasedBusiness", "OfficeBasedBusiness"],
    "RegistrationStatus": ["Success", "Fail"],
    "CreditCardType": ["Visa", "MasterCard", "AmericanExpress", "Discover"],
    "ImageType": [
        "Auto",
        "Png",
        "Gif",
        "Pdf",
        "Epl",
        "Jpg",
        "PrintOncePdf",
        "EncryptedPngUrl",
        "Zpl",
        "AZpl",
        "BZpl",
        "Bmp",
        "BmpMonochrome",
        "PngMonochrome",
        "JpgMonochrome",
        "GifMonochrome",
    ],
    "PaperSizeV1": ["Default", "Letter85x11", "LabelSize"],
    "ImageDpi": [
        "ImageDpiDefault",
        "ImageDpi200",
        "ImageDpi300",
        "ImageDpi203",
        "ImageDpi96",
        "ImageDpi150",
    ],
    "EltronPrinterDPIType": ["Default", "High"],
    "NonDeliveryOption": ["Undefined", "Return", "Abandon", "Redirect"],
    "MailClass": [
        "Unknown",
        "FirstClass",
        "Priority",
        "Express",
        "MediaMail",
        "ExpressMailInternational",
        "PriorityMailInternational",
        "FirstClassMailInternational",
        "GroundAdvantage",
        "GlobalPostEconomy",
        "GlobalPostPriority",
        "GlobalPostEconomySmartSaver",
        "GlobalPostPrioritySmartSaver",
    ],
    "ResidentialDeliveryIndicatorType": ["Yes", "No", "Unknown", "Unsupported"],
    "AddressVerificationLevel": ["Partial", "Maximum", "None"],
    "TrackingEventType": [
        "ShippingLabelCreated",
        "AcceptOrPickup",
        "ArrivedUSPSSortFacility",
        "DepartUSPSSortFacility",
        "Enroute",
        "OutForDelivery",
        "Delivered",
    ],
    "ContentTypeV2": [
        "Commercial Sample",
        "Gift",
        "Document",
        "Returned Goods",
        "Other",
        "Merchandise",
        "Humanitarian Donation",
        "Dangerous Goods",
    ],
    "ResubmissionStatus": ["NOT_IN_RESUBMISSION"],
    "RatesetType": ["Retail", "CBP", "CPP"],
    "PickupCarrier": ["None", "Usps"],
    "SearchFor": ["All", "Refund"],
    "SurchargeTypeV5": ["SUR-A-NSDIM1", "SUR-A-NSDIM2", "SUR-A-NSVOL"],
    "IncludeField": [
        "StampsTxId",
        "ShipmentStatus",
        "PrintDate",
        "TrackingNumber",
        "RefundType",
        "RefundStatus",
    ],
    "ShipmentStatusV2": ["Printed", "Pending Refund", "Refunded", "Voided"],
    "RefundTypeV1": ["E-refund", "Mail-in"],
    "PostageRefundStatusV1": ["Pending", "Processing", "Complete"],
}

# CanPrintShipping .. CanPrintGP: the leading, required part of the CapabilitiesV1..V50 chain.
CAPABILITIES = [
    "CanPrintShipping",
    "CanUseCostCodes",
    "CanUseHiddenPostage",
    "CanPurchaseSDCInsurance",
    "CanPrintMemoOnShippingLabel",
    "CanPrintInternational",
    "CanPurchasePostage",
    "CanEditCostCodes",
    "MustUseCostCodes",
    "CanViewOnlineReports",
    "PerPrintLimit",
    "AllowAllMailClasses",
    "CanPrintReturnShippingLabel",
    "CanManageUsers",
    "CanPrintNetStamps",
    "CanEmailNotifications",
    "CanViewReports",
    "CanCreateSCANForm",
    "AllowRestrictedSheets",
    "HideUnavailableFeatures",
    "WebPostage",
    "CanViewInsuranceHistory",
    "CanChangeServicePlan",
    "HideEstimatedDeliveryTime",
    "CanPurchaseFromStore",
    "CanChangePhysicalAddress",
    "CanChangePaymentMethod",
    "CanChangeContactInfo",
    "CanViewAdvancedReporting",
    "IsIBIPEnabled",
    "CanCreateCriticalMail",
    "CanUseInvoicing",
    "CanUseCertifiedMail",
    "CanPrintAllIndiciumValues",
    "AllowUspsMPosLabel",
    "DisableConversationToken",
    "CanPrintCubic",
    "CanPrintGP",
]

COMPLEX = {
    "Credentials": """
        IntegrationID s1:guid
        Username string-0-40
        Password s:string
    """,
    "Address": """
        FullName s:string ?
        FirstName s:string ?
        LastName s:string ?
        Company string-0-50 ?
        Address1 s:string ?
        Address2 string-0-50 ?
        Address3 s:string ?
        City string-0-50 ?
        State string-0-30 ?
        ZIPCode string-0-5 ?
        ZIPCodeAddOn string-0-4 ?
        DPB s:string ?
        CheckDigit s:string ?
        Province s:string ?
        PostalCode s:string ?
        Country string-2-2 ?
        PhoneNumber s:string ?
        Extension s:string ?
        CleanseHash s:string ?
        OverrideHash s:string ?
        EmailAddress s:string ?
    """,
    "ArrayOfAddress": "Address Address * !",
    "ArrayOfString": "string s:string * !",
    "ArrayOfGuid": "guid s1:guid *",
    "ArrayOfBase64Binary": "base64Binary s:base64Binary * !",
    "MachineInfo": """
        IPAddress string-0-15
    """,
    "CreditCard": """
        CreditCardType CreditCardType
        AccountNumber s:string ?
        CVN s:string ?
        ExpirationDate s:dateTime
        BillingAddress Address ?
    """,
    "PostageBalance": """
        AvailablePostage s:decimal
        ControlTotal s:decimal
    """,
    "AutoBuySettings": """
        AutoBuyEnabled s:boolean
        PurchaseAmount s:decimal ?
        TriggerAmount s:decimal ?
    """,
    "CapabilitiesV50": "\n".join(
        f"{name} {'s:decimal' if name == 'PerPrintLimit' else 's:boolean'}" for name in CAPABILITIES
    ),
    "AccountInfoV65": """
        CustomerID s:int
        MeterNumber s:int
        UserID s:int
        PostageBalance PostageBalance
        MaxPostageBalance s:decimal
        LPOCity string-0-29
        LPOState string-0-3
        LPOZip string-0-6
        CorpID s:int
        StoreID s:string
        CostCodeLimit s:int
        MonthlyPostagePurchaseLimit s:int
        MaxUsers s:int
        Capabilities CapabilitiesV50
        MeterPhysicalAddress Address
        ResubmitStatus ResubmissionStatus
        PlanID s:int
        Username string-0-40
        RatesetType RatesetType ? !
        AutoBuySettings AutoBuySettings ?
    """,
    "DateAdvance": """
        MaxDateAdvanceEnvelope s:int
        MaxDateAdvanceMailingLabel s:int
        MaxDateAdvanceShippingLabel s:int
    """,
    "AddOnV20": """
        Amount s:decimal ?
        AddOnType AddOnTypeV20
        AddOnDescription s:string ?
    """,
    "ArrayOfAddOnV20": "AddOnV20 AddOnV20 * !",
    "SurchargeV5": """
        Amount s:decimal ?
        SurchargeType SurchargeTypeV5
    """,
    "ArrayOfSurchargeV5": "SurchargeV5 SurchargeV5 * !",
    "RateV46": """
        From Address
        To Address
        Amount s:decimal ?
        MaxAmount s:decimal ?
        ServiceType ServiceType ?
        ServiceDescription s:string ?
        PrintLayout s:string ?
        DeliverDays s:string ?
        WeightLb s:double ?
        WeightOz s:double ?
        PackageType PackageTypeV11 ?
        Length double-le-999 ?
        Width double-le-999 ?
        Height double-le-999 ?
        ShipDate s:date ?
        DeliveryDate s:date ?
        InsuredValue s:decimal ?
        DeclaredValue s:decimal ?
        NonMachinable s:boolean ?
        AddOns ArrayOfAddOnV20 ?
        Surcharges ArrayOfSurchargeV5 ?
        EffectiveWeightInOunces s:int ?
        Zone s:int ?
        RateCategory s:int ?
        CubicPricing s:boolean ?
        ContentType ContentTypeV2 ?
    """,
    "ArrayOfRateV46": "Rate RateV46 * !",
    "StatusCodes": """
        ReturnCode s:int
    """,
    "CustomsLine": """
        Description string-2-60
        Quantity double-ge-1
        Value decimal-ge-0
        WeightLb s:double ?
        WeightOz s:double ?
        HSTariffNumber s:string ?
        CountryOfOrigin string-2-2 ?
        sku string-0-20 ?
    """,
    "ArrayOfCustomsLine": "CustomsLine CustomsLine * !",
    "CustomsV8": """
        ContentType ContentTypeV2
        Comments string-0-76 ?
        LicenseNumber string-0-16 ?
        CertificateNumber string-0-12 ?
        InvoiceNumber string-0-15 ?
        OtherDescribe string-0-25 ?
        CustomsLines ArrayOfCustomsLine
        CustomsSigner string-2-100 ?
    """,
    "ReprintIndiciumRequest": f"""
        {AUTH}
        IntegratorTxId string-0-128 ?
        StampsTxId string-0-128 ?
        TrackingNumber string-0-128 ?
        ImageType ImageType ?
        ImageDpi ImageDpi ?
        EltronPrinterDpiType EltronPrinterDPIType ?
        RotationDegrees s:int
        PaperSize PaperSizeV1 ?
        StartRow s:int
        StartColumn s:int
        ReturnImageData s:boolean ?
    """,
    "ReprintIndiciumResponse": """
        Authenticator s:string ?
        IntegratorTxId s:string ?
        TrackingNumber s:string ?
        FromZipCode s:string ?
        Amount s:decimal !
        ServiceType MailClass !
        ShipDate s:date !
        StampsTxId s:string ?
        Url s:string ?
        FormUrl s:string ?
        ImageData ArrayOfBase64Binary ?
        IssuedLabelCount s:int !
    """,
    "EndOfDayManifest": """
        PickupCarrier PickupCarrier
        ManifestType ManifestType
        ManifestId s:string ?
        ManifestUrl s:string ?
    """,
    "ArrayOfEndOfDayManifest": "EndOfDayManifest EndOfDayManifest * !",
    "CarrierPickupContactInformation": """
        FirstName string-1-50
        LastName string-1-50
        PhoneNumber string-10-10
        PhoneExt string-0-6 ?
    """,
    "CarrierPickupContactInformationV2": """
        FirstName string-1-50
        LastName string-1-50
        PhoneNumber string-10-10
        PhoneExt string-0-6 ?
        Email s:string ?
    """,
    "CarrierPickupAddressV3": """
        Company string-0-50 ?
        Address string-1-50
        City string-1-35
        State string-2-2
        ZIP string-5-5
        ZIP4 string-0-4 ?
        Address2 string-0-50 ?
        Address3 string-0-50 ?
    """,
    "CarrierPickupPackageInformation": """
        NumberOfExpressMailPieces s:int ?
        NumberOfPriorityMailPieces s:int ?
        NumberOfInternationalPieces s:int ?
        NumberOfFirstClassPieces s:int ?
        NumberOfParcelSelectPieces s:int ?
        NumberOfOtherPieces s:int ?
        TotalWeightOfPackagesLbs s:int ?
        PackageLocation CarrierPickupLocationV1
        SpecialInstruction string-0-75 ?
    """,
    "TrackingEvent": """
        Timestamp s:dateTime
        Event s:string
        TrackingEventType TrackingEventType
        City s:string
        State s:string
        Zip s:string
        Country s:string
        SignedBy s:string
        AuthorizedAgent s:boolean
    """,
    "ArrayOfTrackingEvent": "TrackingEvent TrackingEvent * !",
    "Filters": """
        PrintDateMin s:date !
        PrintDateMax s:date ? !
        SearchCriteria ArrayOfSearchFor ?
    """,
    "ArrayOfSearchFor": "SearchFor SearchFor *",
    "ArrayOfIncludeField": "IncludeField IncludeField *",
    "RefundStatusV1": """
        PostageRefundId s:string
        ClaimNumber s:int !
        RequestDate s:dateTime
        PostageRefundStatus PostageRefundStatusV1
        EstimatedPostageRefundCompletionDate s:dateTime ? !
        PostageAmountRequested s:decimal
        PostageAmountApproved s:decimal
    """,
    "ShipmentV39": """
        StampsTxId s:string ?
        ShipmentStatus ShipmentStatusV2 ? !
        PrintDate s:dateTime ? !
        TrackingNumber string-1-128 ?
        RefundType RefundTypeV1 ? !
        RefundStatus RefundStatusV1 ?
    """,
    "ArrayOfShipmentV39": "ShipmentV39 ShipmentV39 * !",
    "DestinationInfo": """
        DestinationCity s:string
        DestinationState s:string
        DestinationZip s:string
        DestinationCountry s:string
    """,
}

# Operation -> (request element fields, response element fields).
OPERATIONS = {
    "AuthenticateUser": (
        "Credentials Credentials",
        """
        Authenticator s:string
        LastLoginTime s:dateTime ?
        ClearCredential s:boolean
        LoginBannerText s:string
        PasswordExpired s:boolean
        CodewordsSet s:boolean
        """,
    ),
    "RegisterAccount": (
        """
        IntegrationID s1:guid
        UserName string-0-40
        Password string-6-20
        PhysicalAddress Address
        MailingAddress Address ?
        MachineInfo MachineInfo
        Email string-0-320
        AccountType AccountType
        PromoCode string-0-50 ?
        | CreditCard CreditCard ?
        SendEmail s:boolean ? !
        """,
        """
        RegistrationStatus RegistrationStatus
        SuggestedUserName s:string
        UserId s:int
        PromoUrl s:string
        """,
    ),
    "StartAccountVerification": (
        f"""
        {AUTH}
        PhoneNumber string-10-10 ?
        Extension string-0-6 ?
        PhoneVerificationOption PhoneVerificationOption
        """,
        "Authenticator s:string",
    ),
    "FinishAccountVerification": (
        f"""
        {AUTH}
        PhoneVerificationCode s:string
        """,
        "Authenticator s:string",
    ),
    "GetAccountInfo": (
        AUTH,
        """
        Authenticator s:string
        AccountInfo AccountInfoV65
        Address Address
        CustomerEmail s:string
        AccountStatus s:string ?
        DateAdvanceConfig DateAdvance
        VerificationPhoneNumber s:string ?
        """,
    ),
    "PurchasePostage": (
        f"""
        {AUTH}
        PurchaseAmount s:decimal
        ControlTotal s:decimal
        MI MachineInfo ?
        IntegratorTxID string-1-128 ?
        SendEmail s:boolean ? !
        """,
        """
        Authenticator s:string
        PurchaseStatus PurchaseStatus
        TransactionID s:int
        PostageBalance PostageBalance
        RejectionReason s:string ?
        MIRequired s:boolean
        ProcessorTransactionID s:string ?
        """,
    ),
    "SetAutoBuy": (
        f"""
        {AUTH}
        AutoBuySettings AutoBuySettings
        """,
        "Authenticator s:string",
    ),
    "GetRates": (
        f"""
        {AUTH}
        Rate RateV46
        Carrier Carrier ?
        """,
        """
        Authenticator s:string
        Rates ArrayOfRateV46
        """,
    ),
    "CleanseAddress": (
        f"""
        {AUTH}
        Address Address
        FromZIPCode string-0-5 ?
        """,
        """
        Authenticator s:string
        Address Address
        AddressMatch s:boolean
        CityStateZipOK s:boolean
        ResidentialDeliveryIndicator ResidentialDeliveryIndicatorType
        IsPOBox s:boolean ? !
        CandidateAddresses ArrayOfAddress
        StatusCodes StatusCodes
        AddressCleansingResult s:string ?
        VerificationLevel AddressVerificationLevel
        """,
    ),
    "CreateIndicium": (
        f"""
        {AUTH}
        IntegratorTxID string-1-128
        Rate RateV46
        ReturnTo Address ?
        Customs CustomsV8 ?
        SampleOnly s:boolean ?
        ImageType ImageType ?
        memo s:string ?
        nonDeliveryOption NonDeliveryOption ?
        ReturnImageData s:boolean ? !
        PaperSize PaperSizeV1 ?
        ReturnLabelExpirationDays s:int ? !
        ImageDpi ImageDpi ?
        OrderId string-0-100 ?
        Reference1 string-0-100 ?
        Reference2 string-0-100 ?
        Reference3 string-0-100 ?
        """,
        """
        Authenticator s:string
        IntegratorTxID string-1-128
        TrackingNumber string-0-128 ?
        Rate RateV46
        StampsTxID s1:guid
        URL s:string
        PostageBalance PostageBalance
        Mac s:string
        PostageHash s:string
        ImageData ArrayOfBase64Binary ?
        FormURL s:string ?
        Reference1 s:string ?
        Reference2 s:string ?
        Reference3 s:string ?
        labelCategory s:string ?
        LabelID s:string ?
        """,
    ),
    "CancelIndicium": (
        f"""
        {AUTH}
        |* TrackingNumbers ArrayOfString ? ; StampsTxIDs ArrayOfGuid ?
        SendEmail s:boolean ? !
        """,
        "Authenticator s:string",
    ),
    "CreateManifest": (
        f"""
        {AUTH}
        IntegratorTxID s:string ?
        StampsTxIds ArrayOfGuid ?
        TrackingNumbers ArrayOfString ?
        ShipDate s:date ? !
        PrintLayout s:string ?
        FromAddress Address
        ImageType ImageType
        PrintInstructions s:boolean
        ManifestType ManifestType ?
        NumberOfLabels s:int ?
        """,
        """
        Authenticator s:string
        IntegratorTxID s:string ?
        EndOfDayManifests ArrayOfEndOfDayManifest
        """,
    ),
    "ScheduleCarrierPickup": (
        f"""
        {AUTH}
        ContactInformation CarrierPickupContactInformationV2
        Address CarrierPickupAddressV3
        PackageInformation CarrierPickupPackageInformation
        Carrier Carrier ?
        PickupTimeEarliest s:string ?
        PickupTimeLatest s:string ?
        PickupType CarrierPickupType ?
        """,
        """
        Authenticator s:string
        PickupDate s:string
        PickUpDayOfWeek s:string
        ConfirmationNumber s:string
        PickupTimeEarliest s:string ?
        PickupTimeLatest s:string ?
        EstimatedAmount s:decimal
        """,
    ),
    "ModifyCarrierPickup": (
        f"""
        {AUTH}
        ContactInformation CarrierPickupContactInformation ?
        PackageInformation CarrierPickupPackageInformation ?
        ConfirmationNumber s:string
        Carrier Carrier ?
        PickupType CarrierPickupType ?
        """,
        """
        Authenticator s:string
        PickupDate s:string
        PickUpDayOfWeek s:string
        ConfirmationNumber s:string
        PickupStatus s:string
        """,
    ),
    "CancelCarrierPickup": (
        f"""
        {AUTH}
        ConfirmationNumber s:string
        Carrier Carrier ?
        PickupType CarrierPickupType ?
        """,
        """
        Authenticator s:string
        PickupStatus s:string
        """,
    ),
    "ReprintIndicium": (
        "indiciumRequest ReprintIndiciumRequest",
        "ReprintIndiciumResult ReprintIndiciumResponse ?",
    ),
    "GetURL": (
        f"""
        {AUTH}
        URLType UrlType
        ApplicationContext s:string
        """,
        """
        Authenticator s:string
        URL s:string
        """,
    ),
    # Refunds of voided labels (R41): ShipDesk asks for SearchCriteria Refund.
    "GetShipmentList": (
        f"""
        {AUTH}
        ShipmentsPerPage integer-ge-1-le-500 ?
        Filters Filters
        IncludeFields ArrayOfIncludeField ?
        """,
        """
        Authenticator s:string
        ShipmentListToken s:string
        TotalPages s:int
        Shipments ArrayOfShipmentV39 ?
        """,
    ),
    "TrackShipment": (
        f"""
        {AUTH}
        | TrackingNumber s:string ? ; StampsTxID s1:guid
        Carrier Carrier ?
        """,
        """
        Authenticator s:string
        TrackingEvents ArrayOfTrackingEvent
        GuaranteedDeliveryDate s:dateTime !
        ExpectedDeliveryDate s:dateTime !
        ServiceDescription s:string ?
        Carrier s:string ?
        DestinationInfo DestinationInfo ?
        """,
    ),
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # "s:string", "s1:guid" or one of ours (no prefix)
    min_occurs: int = 1
    many: bool = False
    nillable: bool = False


@dataclass(frozen=True)
class Choice:
    options: tuple[Field, ...]
    min_occurs: int = 1
    many: bool = False


type Particle = Field | Choice


def _field(spec: str) -> Field:
    parts = spec.split()
    name, type_, flags = parts[0], parts[1], parts[2:]
    return Field(
        name=name,
        type=type_,
        min_occurs=0 if ("?" in flags or "*" in flags) else 1,
        many="*" in flags,
        nillable="!" in flags,
    )


def parse_fields(text: str) -> tuple[Particle, ...]:
    particles: list[Particle] = []
    for raw in text.strip().splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("|"):
            many = line.startswith("|*")
            body = line[2 if many else 1 :]
            options = tuple(_field(opt) for opt in body.split(";"))
            particles.append(Choice(options, min_occurs=0 if many else 1, many=many))
        else:
            particles.append(_field(line))
    return tuple(particles)


TYPES: dict[str, tuple[Particle, ...]] = {name: parse_fields(t) for name, t in COMPLEX.items()}
REQUESTS = {op: parse_fields(req) for op, (req, _resp) in OPERATIONS.items()}
RESPONSES = {op: parse_fields(resp) for op, (_req, resp) in OPERATIONS.items()}


def fields_of(particles: tuple[Particle, ...]) -> list[Field]:
    """Every element of a sequence, choices flattened, in document order."""
    out: list[Field] = []
    for p in particles:
        out.extend(p.options if isinstance(p, Choice) else (p,))
    return out


def base_type(type_: str) -> str:
    """The XML Schema type a field's value is converted with (``s:string``, ``s:int``...)."""
    if type_ in RESTRICTED:
        return RESTRICTED[type_][0]
    if type_ in ENUMS:
        return "s:string"
    return type_
