"""How SOAP requests reach Stamps.com: the parsed WSDL (once per process per location), the
HTTP transport, where the endpoints come from, and what a failed exchange means.

The WSDL is loaded and parsed once per process per location (``wsdl_parse_count``). In
sandbox mode (``STAMPS_SANDBOX``) the WSDL and the service address are the sandbox's
(``STAMPS_SANDBOX_URL``); ``STAMPS_WSDL_URL`` (a URL or a file path) overrides the WSDL and
``STAMPS_SERVICE_URL`` the address, so the real v135 WSDL can be pointed at the sandbox.

``carriers.stamps.client`` is the only caller; it holds the conversation (tokens, retries,
the call log). Only public zeep API is used here: ``Client``, ``create_service``,
``settings(raw_response=True)``, ``wsdl.bindings`` and ``Binding.process_reply``.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import urllib3
import zeep
import zeep.exceptions
from django.conf import settings
from lxml import etree

from carriers.stamps import errors
from carriers.stamps.soap import read_answer

NAMESPACE = "http://stamps.com/xml/namespace/2023/07/swsim/SwsimV135"
BINDING = f"{{{NAMESPACE}}}SwsimV135Soap"

# Everything a failed exchange can raise before an answer is read (mapped by ``error_for``).
EXCHANGE_ERRORS: tuple[type[BaseException], ...] = (
    zeep.exceptions.Error,
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    etree.XMLSyntaxError,
    OSError,
)

USER_AGENT = "ShipDesk SWSIM client"

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
# HTTP headers for the calls made inside ``http_headers`` (the partner verification header).
_extra_headers: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "stamps_headers", default=None
)


@contextlib.contextmanager
def http_headers(headers: dict[str, str]) -> Iterator[None]:
    """Send ``headers`` with every SOAP request made inside the block (this thread only)."""
    token = _extra_headers.set(headers)
    try:
        yield
    finally:
        _extra_headers.reset(token)


@dataclass(frozen=True)
class Answer:
    """An HTTP answer, with the names zeep and ``soap.read_answer`` read (requests')."""

    status_code: int
    content: bytes
    headers: Mapping[str, str]  # urllib3's: case-insensitive
    encoding: str | None = None  # zeep then reads the XML's own declaration


class Transport(zeep.Transport):
    """zeep's transport, posting through urllib3's connection pools instead of requests.

    The WSDL is still loaded through zeep's requests session (once per process). Each SOAP
    call goes straight to urllib3: requests' own layers (hooks, cookies, adapters, the
    environment's settings merged on every call) cost about 0.35 ms of CPU a call, a tenth
    of ShipDesk's own time for a label with two calls (``make bench``: label_cost). urllib3
    is what requests sends with anyway: the same pooling, timeouts and TLS checks. Proxies
    from the environment (``HTTPS_PROXY``...) are honoured as requests would, per address."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
        self._pools: dict[str, urllib3.PoolManager] = {}
        self._pools_lock = threading.Lock()

    @property
    def operation_timeout(self) -> float | None:
        return _call_timeout.get() or self._default_timeout

    @operation_timeout.setter
    def operation_timeout(self, value: float | None) -> None:
        self._default_timeout = value

    def _pool_for(self, address: str) -> urllib3.PoolManager:
        scheme, _, rest = address.partition("://")
        host = rest.split("/", 1)[0].rsplit(":", 1)[0]
        found = self._pools.get(f"{scheme}://{host}")
        if found is not None:
            return found
        with self._pools_lock:
            proxy = urllib.request.getproxies().get(scheme)
            if proxy and urllib.request.proxy_bypass(host):
                proxy = None
            found = urllib3.ProxyManager(proxy, maxsize=32) if proxy else None
            found = found or urllib3.PoolManager(maxsize=32)
            return self._pools.setdefault(f"{scheme}://{host}", found)

    def close(self) -> None:
        """Close every kept-alive connection (the SOAP calls' and the WSDL's)."""
        with self._pools_lock:
            for manager in self._pools.values():
                # PoolManager.clear() only forgets its pools (urllib3 2 closes a pool's
                # connections when it is collected): close each, then forget them.
                for key in list(manager.pools.keys()):  # it refuses to be iterated
                    pool = manager.pools.get(key)
                    if pool is not None:
                        pool.close()
                manager.clear()
            self._pools.clear()
        self.session.close()

    def post(self, address: str, message: str | bytes, headers: dict[str, str]) -> Answer:
        timeout = self.operation_timeout
        answer = self._pool_for(address).urlopen(
            "POST",
            address,
            body=message,
            headers={"User-Agent": USER_AGENT, **headers},
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            retries=False,  # the client decides what may be sent again (client._may_retry)
            redirect=False,
        )
        _last_status.set(answer.status)
        return Answer(answer.status, answer.data, answer.headers)


def wsdl_client(location: str) -> zeep.Client:
    """The zeep client of the WSDL at ``location``, parsed on first use only."""
    cached = _wsdl_clients.get(location)
    if cached is not None:
        return cached
    with _wsdl_lock:
        cached = _wsdl_clients.get(location)
        if cached is None:
            session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
            transport = Transport(
                timeout=settings.STAMPS_TIMEOUT,
                operation_timeout=settings.STAMPS_TIMEOUT,
                session=session,
            )
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


def service(location: str, address: str) -> Any:
    """The service proxy for the WSDL at ``location``, sent to ``address`` (or the WSDL's)."""
    key = (location, address)
    proxy = _services.get(key)
    if proxy is None:
        client = wsdl_client(location)
        proxy = client.create_service(BINDING, address) if address else client.service
        _services[key] = proxy
    return proxy


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


def forget_wsdls() -> None:
    """Forget parsed WSDLs and their services (tests that change endpoints), and close their
    connections: a kept-alive connection holds a thread of the server at the other end (the
    test server's, with its own database connection) until it is closed."""
    with _wsdl_lock:
        for client in _wsdl_clients.values():
            if isinstance(client.transport, Transport):
                client.transport.close()
        _wsdl_clients.clear()
        _services.clear()
        wsdl_parse_count.clear()


def exchange(
    client: zeep.Client, proxy: Any, operation: str, kwargs: dict[str, Any], timeout: float
) -> Any:
    """Send ``operation`` and return its answer: a successful answer read by
    ``soap.read_answer`` (fast, as dicts), anything else judged by zeep (faults raise)."""
    token = _call_timeout.set(timeout)
    _last_status.set(0)
    try:
        with client.settings(raw_response=True, extra_http_headers=_extra_headers.get()):
            response = proxy[operation](**kwargs)
    finally:
        _call_timeout.reset(token)
    answer = read_answer(response)
    if answer is not None:
        return answer
    binding = client.wsdl.bindings[BINDING]
    return binding.process_reply(client, binding.get(operation), response)


def takes_choice_list(client: zeep.Client, operation: str) -> bool:
    """Whether the WSDL wraps ``operation``'s arguments in a repeated xsd:choice (which zeep
    takes as ``_value_1``), as the real SWSIM WSDL does for CancelIndicium."""
    op = client.wsdl.bindings[BINDING].get(operation)
    signature = op.input.body.type.signature(schema=None) if op.input.body else ""
    return "_value_1" in signature or ")[]" in signature


def error_for(operation: str, exc: BaseException, timeout: float) -> errors.StampsError:
    """The StampsError for a failed exchange (one of ``EXCHANGE_ERRORS``)."""
    if isinstance(exc, zeep.exceptions.Fault) and exc.message == "Unknown fault occured":
        # An HTTP error answered with XML that is not a soap:Fault (a proxy's page).
        status = f"HTTP {_last_status.get() or '5xx'}"
        return errors.CarrierUnavailable(status, fault_code=status, operation=operation)
    if isinstance(exc, zeep.exceptions.Fault):
        detail_code = ""
        if etree.iselement(exc.detail):
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
    # urllib3 files a refused or unresolved connection under its timeouts: not one here.
    refused = isinstance(exc, urllib3.exceptions.NewConnectionError)
    if not refused and isinstance(exc, requests.Timeout | urllib3.exceptions.TimeoutError):
        return errors.CarrierUnavailable(
            f"no answer within {timeout:g}s", fault_code="timeout", operation=operation
        )
    return errors.CarrierUnavailable(
        f"{type(exc).__name__}: {exc}", fault_code="connection", operation=operation
    )
