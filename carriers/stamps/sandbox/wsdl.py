"""Renders the sandbox WSDL from ``schema.py``: the same names Stamps.com's v135 WSDL uses."""

from __future__ import annotations

from functools import lru_cache
from xml.sax.saxutils import quoteattr

from .schema import (
    ENUMS,
    MS_TYPES_NS,
    OPERATIONS,
    RESTRICTED,
    TNS,
    TYPES,
    Choice,
    Field,
    parse_fields,
)

SERVICE = "SwsimV135"
PORT_TYPE = "SwsimV135Soap"
BINDING = "SwsimV135Soap"


def _qname(type_: str) -> str:
    return type_ if ":" in type_ else f"tns:{type_}"


def _element(f: Field, indent: str) -> str:
    max_occurs = "unbounded" if f.many else "1"
    nillable = ' nillable="true"' if f.nillable else ""
    return (
        f'{indent}<s:element minOccurs="{f.min_occurs}" maxOccurs="{max_occurs}" '
        f'name="{f.name}"{nillable} type="{_qname(f.type)}" />'
    )


def _sequence(particles, indent: str) -> list[str]:
    lines = [f"{indent}<s:sequence>"]
    for p in particles:
        if isinstance(p, Choice):
            max_occurs = "unbounded" if p.many else "1"
            lines.append(
                f'{indent}  <s:choice minOccurs="{p.min_occurs}" maxOccurs="{max_occurs}">'
            )
            lines += [_element(o, indent + "    ") for o in p.options]
            lines.append(f"{indent}  </s:choice>")
        else:
            lines.append(_element(p, indent + "  "))
    lines.append(f"{indent}</s:sequence>")
    return lines


def _simple_types() -> list[str]:
    lines = []
    for name, (base, lo, hi) in RESTRICTED.items():
        lines.append(f'      <s:simpleType name="{name}">')
        lines.append(f'        <s:restriction base="{base}">')
        if base == "s:string":
            lines.append(f'          <s:minLength value="{lo}" />')
            lines.append(f'          <s:maxLength value="{hi}" />')
        else:
            if lo is not None:
                lines.append(f'          <s:minInclusive value="{lo}" />')
            if hi is not None:
                lines.append(f'          <s:maxInclusive value="{hi}" />')
        lines.append("        </s:restriction>")
        lines.append("      </s:simpleType>")
    for name, values in ENUMS.items():
        lines.append(f'      <s:simpleType name="{name}">')
        lines.append('        <s:restriction base="s:string">')
        lines += [f"          <s:enumeration value={quoteattr(v)} />" for v in values]
        lines.append("        </s:restriction>")
        lines.append("      </s:simpleType>")
    return lines


@lru_cache(maxsize=1)
def _body() -> tuple[str, str]:
    """Everything but the service address, rendered once per process."""
    types: list[str] = []
    for op, (req, resp) in OPERATIONS.items():
        for name, text in ((op, req), (f"{op}Response", resp)):
            types.append(f'      <s:element name="{name}">')
            types.append("        <s:complexType>")
            types += _sequence(parse_fields(text), "          ")
            types.append("        </s:complexType>")
            types.append("      </s:element>")
    for name, particles in TYPES.items():
        types.append(f'      <s:complexType name="{name}">')
        types += _sequence(particles, "        ")
        types.append("      </s:complexType>")
    types += _simple_types()

    messages, port_ops, binding_ops = [], [], []
    for op in OPERATIONS:
        messages += [
            f'  <wsdl:message name="{op}SoapIn">',
            f'    <wsdl:part name="parameters" element="tns:{op}" />',
            "  </wsdl:message>",
            f'  <wsdl:message name="{op}SoapOut">',
            f'    <wsdl:part name="parameters" element="tns:{op}Response" />',
            "  </wsdl:message>",
        ]
        port_ops += [
            f'    <wsdl:operation name="{op}">',
            f'      <wsdl:input message="tns:{op}SoapIn" />',
            f'      <wsdl:output message="tns:{op}SoapOut" />',
            "    </wsdl:operation>",
        ]
        binding_ops += [
            f'    <wsdl:operation name="{op}">',
            f'      <soap:operation soapAction="{TNS}/{op}" style="document" />',
            '      <wsdl:input><soap:body use="literal" /></wsdl:input>',
            '      <wsdl:output><soap:body use="literal" /></wsdl:output>',
            "    </wsdl:operation>",
        ]

    head = "\n".join(
        [
            '<?xml version="1.0" encoding="utf-8"?>',
            '<wsdl:definitions xmlns:s="http://www.w3.org/2001/XMLSchema"',
            '    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"',
            f'    xmlns:s1="{MS_TYPES_NS}"',
            f'    xmlns:tns="{TNS}"',
            f'    targetNamespace="{TNS}"',
            '    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/">',
            "  <wsdl:documentation>ShipDesk Stamps.com sandbox: the subset of SWSIM v135 "
            "(Stamps.com Web Services for Individual Meters) that ShipDesk uses."
            "</wsdl:documentation>",
            "  <wsdl:types>",
            f'    <s:schema elementFormDefault="qualified" targetNamespace="{TNS}">',
            f'      <s:import namespace="{MS_TYPES_NS}" />',
            *types,
            "    </s:schema>",
            f'    <s:schema elementFormDefault="qualified" targetNamespace="{MS_TYPES_NS}">',
            '      <s:simpleType name="guid">',
            '        <s:restriction base="s:string">',
            '          <s:pattern value="[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-'
            '[0-9a-fA-F]{4}-[0-9a-fA-F]{12}" />',
            "        </s:restriction>",
            "      </s:simpleType>",
            "    </s:schema>",
            "  </wsdl:types>",
            *messages,
            f'  <wsdl:portType name="{PORT_TYPE}">',
            *port_ops,
            "  </wsdl:portType>",
            f'  <wsdl:binding name="{BINDING}" type="tns:{PORT_TYPE}">',
            '    <soap:binding transport="http://schemas.xmlsoap.org/soap/http" />',
            *binding_ops,
            "  </wsdl:binding>",
            f'  <wsdl:service name="{SERVICE}">',
            f'    <wsdl:port name="{PORT_TYPE}" binding="tns:{BINDING}">',
            "      <soap:address location=",
        ]
    )
    tail = "\n".join([" />", "    </wsdl:port>", "  </wsdl:service>", "</wsdl:definitions>", ""])
    return head, tail


def render_wsdl(address: str) -> str:
    head, tail = _body()
    return head + quoteattr(address) + tail
