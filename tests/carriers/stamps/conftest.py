from __future__ import annotations

from pathlib import Path

import pytest

from carriers.stamps import client as stamps_client
from tests.support import REFERENCE_WSDL_MISSING, reference_wsdl

REAL_WSDL = reference_wsdl()
SANDBOX_PATH = "/sandbox/stamps/swsim.asmx"


@pytest.fixture
def fresh_client_cache():
    """Forget parsed WSDLs and tokens before and after (endpoints change between tests)."""
    stamps_client.reset_wsdl_cache()
    yield
    stamps_client.reset_wsdl_cache()


@pytest.fixture
def real_wsdl() -> Path:
    if REAL_WSDL is None:
        pytest.skip(REFERENCE_WSDL_MISSING)
    return REAL_WSDL


@pytest.fixture(params=["sandbox-wsdl", "real-v135-wsdl"])
def stamps(request, live_server, settings, fresh_client_cache):
    """The sandbox over real HTTP, reached through the client built from either WSDL.

    ``sandbox-wsdl`` loads the sandbox's own WSDL (``?wsdl``); ``real-v135-wsdl`` loads
    Stamps.com's v135 WSDL from ../shared/stamps/ and re-addresses its service at the
    sandbox, which proves the sandbox accepts what Stamps.com would accept from ShipDesk.
    Yields the sandbox's test API.
    """
    from carriers.stamps.sandbox import api

    settings.STAMPS_SANDBOX = True
    settings.STAMPS_SANDBOX_URL = live_server.url + SANDBOX_PATH
    settings.STAMPS_SERVICE_URL = ""
    settings.STAMPS_WSDL_URL = ""
    settings.STAMPS_TIMEOUT = 5
    settings.STAMPS_RETRY_BACKOFF_MS = 0
    if request.param == "real-v135-wsdl":
        if REAL_WSDL is None:
            pytest.skip(REFERENCE_WSDL_MISSING)
        settings.STAMPS_WSDL_URL = str(REAL_WSDL)
    api.reset()
    yield api
    api.reset()
