"""Every request is checked against the XML Schema of the sandbox's own WSDL, as the live
service checks it against its own before doing anything (issue 15): element order, required
elements, types, lengths, ranges and enumerations.

The schema is the ``wsdl:types`` of the WSDL the sandbox serves (``wsdl.render_wsdl``), so
what a client reads and what the sandbox enforces can never differ. It is compiled once per
process with lxml (libxml2's XML Schema validator).

The faultstring follows what is known of the live service: a length facet gives .NET's
"The actual length is less than the MinLength value" (R19), an unknown enumeration value
"Requested value 'X' was not found" (R20), anything else "Invalid SOAP message due to XML
Schema validation failure." followed by what was wrong.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

from carriers.stamps import faults

from .schema import MS_TYPES_NS, TNS, XSD_NS
from .soap import SandboxFault
from .wsdl import render_wsdl

_MS_TYPES_LOCATION = "sandbox:ms-types.xsd"
_ENUM_VALUE = re.compile(r"The value '(?P<value>[^']*)' is not an element of the set")
_NAMESPACE = re.compile(r"\{[^}]*\}")


class _SchemaResolver(etree.Resolver):
    """Hands libxml2 the Microsoft types schema (s1:guid) the main schema imports."""

    def __init__(self, documents: dict[str, bytes]) -> None:
        super().__init__()
        self.documents = documents

    def resolve(self, system_url, public_id, context):
        if system_url in self.documents:
            return self.resolve_string(self.documents[system_url], context)
        return None


@lru_cache(maxsize=1)
def request_schema() -> etree.XMLSchema:
    """The WSDL's schema, compiled (the address does not matter to it)."""
    wsdl = etree.fromstring(render_wsdl("http://sandbox.invalid/").encode())
    schemas = {s.get("targetNamespace"): s for s in wsdl.iter(f"{{{XSD_NS}}}schema")}
    main = schemas[TNS]
    for imported in main.iterfind(f"{{{XSD_NS}}}import"):
        if imported.get("namespace") == MS_TYPES_NS:
            imported.set("schemaLocation", _MS_TYPES_LOCATION)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    parser.resolvers.add(
        _SchemaResolver({_MS_TYPES_LOCATION: etree.tostring(schemas[MS_TYPES_NS])})
    )
    return etree.XMLSchema(etree.fromstring(etree.tostring(main), parser))


def validate_request(body_el: etree._Element) -> None:
    """Raise the live service's schema fault unless ``body_el`` (the operation's element
    inside soap:Body) is valid."""
    schema = request_schema()
    if schema.validate(body_el):
        return
    error = schema.error_log.filter_from_errors()[0]
    raise fault_for(error.type_name, error.message)


def fault_for(type_name: str, message: str) -> SandboxFault:
    if type_name == "SCHEMAV_CVC_ENUMERATION_VALID":
        found = _ENUM_VALUE.search(message)
        value = found.group("value") if found else ""
        return SandboxFault(
            faults.UNKNOWN_VALUE.text.format(value=value), faults.UNKNOWN_VALUE.code
        )
    if type_name == "SCHEMAV_CVC_MINLENGTH_VALID":
        return SandboxFault(
            "The actual length is less than the MinLength value", faults.SCHEMA.code
        )
    if type_name == "SCHEMAV_CVC_MAXLENGTH_VALID":
        return SandboxFault(
            "The actual length is greater than the MaxLength value", faults.SCHEMA.code
        )
    # libxml2 names elements {namespace}Name; the namespace is always SWSIM's.
    detail = _NAMESPACE.sub("", message).strip()
    return SandboxFault(f"{faults.SCHEMA.text} {detail}", faults.SCHEMA.code)
