from __future__ import annotations

from pathlib import Path

import pytest

from carriers.stamps import client as stamps_client

REAL_WSDL = Path("/work/shared/stamps/swsimv135.wsdl")
SANDBOX_PATH = "/sandbox/stamps/swsim.asmx"


@pytest.fixture
def fresh_client_cache():
    """Forget parsed WSDLs and tokens before and after (endpoints change between tests)."""
    stamps_client.reset_wsdl_cache()
    yield
    stamps_client.reset_wsdl_cache()


@pytest.fixture
def real_wsdl() -> Path:
    if not REAL_WSDL.exists():
        pytest.skip(f"the real SWSIM v135 WSDL is not at {REAL_WSDL} (see ../shared/stamps/)")
    return REAL_WSDL
