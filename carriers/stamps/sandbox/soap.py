"""SOAP 1.1 envelopes: requests in (validated by ``validation``, then read with lxml against
``schema``), responses out."""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from .schema import TNS, TYPES, Choice, Field, base_type, fields_of

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False
)


class SandboxFault(Exception):
    """A carrier-side refusal, answered as a soap:Fault with the carrier's wording.

    ``code`` mirrors Stamps.com's hexadecimal error codes in ``detail/sdcerror/@code`` (the
    sandbox's own numbering, listed in README.md); ``faultcode`` is soap:Client for bad
    requests and soap:Server for carrier-side failures.
    """

    def __init__(self, message: str, code: str = "00000000", *, server: bool = False):
        super().__init__(message)
        self.message = message
        self.code = code
        self.faultcode = "soap:Server" if server else "soap:Client"


def schema_fault(message: str) -> SandboxFault:
    return SandboxFault(message, "00500000")


# --- requests -------------------------------------------------------------------------------


def parse_envelope(body: bytes) -> etree._Element:
    """The first element inside soap:Body."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise schema_fault(f"Server was unable to read request. {exc}") from exc
    if etree.QName(root).namespace != SOAP_ENV or etree.QName(root).localname != "Envelope":
        raise schema_fault("Possible SOAP version mismatch: Envelope namespace was unexpected.")
    soap_body = root.find(f"{{{SOAP_ENV}}}Body")
    if soap_body is None or len(soap_body) == 0:
        raise schema_fault("Server was unable to read request. The SOAP body is empty.")
    return soap_body[0]


def _text(el: etree._Element) -> str:
    return el.text or ""


def _convert(type_: str, raw: str) -> Any:
    base = base_type(type_)
    raw_s = raw.strip()
    try:
        if base in ("s:string", "s1:guid"):
            value: Any = raw
        elif base == "s:decimal":
            value = Decimal(raw_s)
        elif base == "s:double":
            value = float(raw_s)
        elif base in ("s:int", "s:long", "s:integer"):
            value = int(raw_s)
        elif base == "s:boolean":
            value = raw_s in ("true", "1")
        elif base == "s:date":
            value = dt.date.fromisoformat(raw_s[:10])
        elif base == "s:dateTime":
            value = dt.datetime.fromisoformat(raw_s.replace("Z", "+00:00"))
        elif base == "s:base64Binary":
            value = base64.b64decode(raw_s)
        else:
            value = raw
    except (ValueError, InvalidOperation) as exc:
        raise schema_fault(f"Input string was not in a correct format: '{raw_s}'.") from exc
    return value


def parse_element(el: etree._Element, type_: str) -> Any:
    """An element's value: a dict for our complex types, a list for ArrayOf*, else a scalar."""
    if el.get(f"{{{XSI}}}nil") in ("true", "1"):
        return None
    if type_ not in TYPES:
        return _convert(type_, _text(el))
    return parse_children(el, TYPES[type_], array=type_.startswith("ArrayOf"))


def parse_children(el: etree._Element, particles, *, array: bool = False) -> Any:
    by_name = {f.name: f for f in fields_of(particles)}
    if array:
        (item,) = by_name.values()
        return [
            parse_element(child, item.type)
            for child in el
            if isinstance(child.tag, str) and etree.QName(child).localname == item.name
        ]
    out: dict[str, Any] = {}
    for child in el:
        if not isinstance(child.tag, str):
            continue
        # The request passed the schema (validation.validate_request), so every child is one
        # of ours, in order, and every required one is there.
        name = etree.QName(child).localname
        spec = by_name[name]
        value = parse_element(child, spec.type)
        if spec.many or _in_repeated_choice(particles, name):
            out.setdefault(name, []).append(value)
        else:
            out[name] = value
    return out


def _in_repeated_choice(particles, name: str) -> bool:
    return any(
        isinstance(p, Choice) and p.many and any(o.name == name for o in p.options)
        for p in particles
    )


# --- responses ------------------------------------------------------------------------------


def _format(type_: str, value: Any) -> str:
    base = base_type(type_)
    if base == "s:boolean":
        return "true" if value else "false"
    if base == "s:decimal":
        return f"{Decimal(value):.2f}"
    if base == "s:dateTime":
        if isinstance(value, dt.datetime):
            return value.isoformat()
        return str(value)
    if base == "s:date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if base == "s:base64Binary":
        return base64.b64encode(value).decode("ascii")
    return str(value)


def _append(parent: etree._Element, f: Field, value: Any) -> None:
    tag = f"{{{TNS}}}{f.name}"
    if value is None:
        if f.min_occurs and f.nillable:
            etree.SubElement(parent, tag).set(f"{{{XSI}}}nil", "true")
        elif f.min_occurs:
            raise ValueError(f"sandbox bug: required response element {f.name} has no value")
        return
    if f.many:
        for item in value:
            _append(parent, Field(f.name, f.type, 1, False, f.nillable), item)
        return
    el = etree.SubElement(parent, tag)
    if f.type in TYPES:
        render_children(el, TYPES[f.type], value)
    else:
        el.text = _format(f.type, value)


def render_children(el: etree._Element, particles, value: Any) -> None:
    fields = fields_of(particles)
    if isinstance(value, list):
        (item,) = fields
        for v in value:
            _append(el, Field(item.name, item.type, 1, False, item.nillable), v)
        return
    for p in particles:
        if isinstance(p, Choice):
            for o in p.options:
                if value.get(o.name) is not None:
                    _append(el, Field(o.name, o.type, 1, False, o.nillable), value[o.name])
        else:
            _append(el, p, value.get(p.name))


def envelope(op: str, particles, value: dict) -> bytes:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV, "xsi": XSI})
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    resp = etree.SubElement(body, f"{{{TNS}}}{op}Response", nsmap={None: TNS})
    render_children(resp, particles, value)
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")


def fault_envelope(fault: SandboxFault) -> bytes:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    f = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(f, "faultcode").text = fault.faultcode
    etree.SubElement(f, "faultstring").text = fault.message
    detail = etree.SubElement(f, "detail")
    err = etree.SubElement(detail, "sdcerror", nsmap={None: "http://stamps.com/xml/namespace"})
    err.set("code", fault.code)
    err.text = fault.message
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")
