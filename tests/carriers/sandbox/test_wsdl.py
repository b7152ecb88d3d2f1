"""The sandbox WSDL is a faithful subset of Stamps.com's SWSIM v135 WSDL."""

from __future__ import annotations

import pytest
import requests
from lxml import etree

from carriers.stamps.sandbox.schema import OPERATIONS
from tests.support import REFERENCE_WSDL_MISSING

from .conftest import REAL_WSDL

XS = "{http://www.w3.org/2001/XMLSchema}"
WSDL = "{http://schemas.xmlsoap.org/wsdl/}"
TNS = "http://stamps.com/xml/namespace/2023/07/swsim/SwsimV135"
pytestmark = pytest.mark.django_db(transaction=True)


def _elements_by_owner(doc: etree._ElementTree) -> dict[str, set[str]]:
    """For every named complexType and top-level element: the names of all its elements,
    including those inherited through complexContent extension."""
    schema = next(s for s in doc.iter(f"{XS}schema") if s.get("targetNamespace") == TNS)
    owners = {n.get("name"): n for n in schema if n.get("name")}

    def names(node) -> set[str]:
        out = {e.get("name") for e in node.iter(f"{XS}element") if e.get("name")}
        for ext in node.iter(f"{XS}extension"):
            base = ext.get("base").split(":")[-1]
            if base in owners:
                out |= names(owners[base])
        return out

    return {
        f"{etree.QName(n).localname}:{name}": names(n)
        for name, n in owners.items()
        if etree.QName(n).localname in ("complexType", "element")
    }


def _operations(doc) -> set[str]:
    binding = next(b for b in doc.iter(f"{WSDL}binding") if b.get("name") == "SwsimV135Soap")
    return {op.get("name") for op in binding.iter(f"{WSDL}operation")}


def test_every_operation_and_element_of_the_sandbox_wsdl_exists_in_the_real_one(live_server):
    if REAL_WSDL is None:
        pytest.skip(REFERENCE_WSDL_MISSING)
    ours = etree.fromstring(
        requests.get(f"{live_server.url}/sandbox/stamps/swsim.asmx?wsdl", timeout=5).content
    ).getroottree()
    real = etree.parse(str(REAL_WSDL))

    assert ours.getroot().get("targetNamespace") == TNS
    assert _operations(ours) == set(OPERATIONS)
    assert _operations(ours) <= _operations(real)
    real_owners = _elements_by_owner(real)
    for owner, names in _elements_by_owner(ours).items():
        # The sandbox flattens CapabilitiesV50's extension chain; the real names are the same.
        assert owner in real_owners, f"{owner} is not in the real WSDL"
        missing = names - real_owners[owner]
        assert not missing, f"{owner} declares {missing}, which the real WSDL does not have"


def test_wsdl_messages_and_simple_types_use_real_names(live_server):
    if REAL_WSDL is None:
        pytest.skip(REFERENCE_WSDL_MISSING)
    ours = etree.fromstring(
        requests.get(f"{live_server.url}/sandbox/stamps/swsim.asmx?wsdl", timeout=5).content
    )
    real = etree.parse(str(REAL_WSDL)).getroot()
    assert {m.get("name") for m in ours.iter(f"{WSDL}message")} <= {
        m.get("name") for m in real.iter(f"{WSDL}message")
    }
    real_simple = {s.get("name"): s for s in real.iter(f"{XS}simpleType") if s.get("name")}
    for simple in ours.iter(f"{XS}simpleType"):
        name = simple.get("name")
        assert name in real_simple, name
        values = {e.get("value") for e in simple.iter(f"{XS}enumeration")}
        real_values = {e.get("value") for e in real_simple[name].iter(f"{XS}enumeration")}
        assert values <= real_values, f"{name}: {values - real_values}"


def test_wsdl_addresses_the_request_host(live_server):
    body = requests.get(f"{live_server.url}/sandbox/stamps/swsim.asmx?wsdl", timeout=5).text
    assert f'location="{live_server.url}/sandbox/stamps/swsim.asmx"' in body
    assert 'binding name="SwsimV135Soap"' in body
