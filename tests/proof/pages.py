"""What the abuse tests share: the project's URL patterns and a checker for rendered HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.urls import URLPattern, get_resolver, reverse

from merchants.tenancy import ACCESS_ATTR, project_app_prefixes
from tests.merchants.test_tenancy import SAMPLE_VALUES, walk
from tests.tenancy_urls import OBJECT_URLS

# Django's own auth views we serve (sign-in, sign-out, password reset): forms too.
AUTH_MODULES = ("django.contrib.auth.views",)


def project_patterns() -> list[tuple[str | None, URLPattern]]:
    """Every URL pattern whose view ShipDesk wrote, except the embedded carrier sandbox: the
    views of every app in the repository (merchants.tenancy.project_app_prefixes), so a new
    app's pages are walked without anyone listing it (a hand-kept list had left out the
    members, locations, tracking and front pages)."""
    return [
        (name, p)
        for name, p in walk(get_resolver().url_patterns)
        if p.callback.__module__.startswith((*project_app_prefixes(), *AUTH_MODULES))
        and getattr(p.callback, ACCESS_ATTR, None) != "sandbox"
    ]


def sample_kwargs(pattern: URLPattern) -> dict:
    return {
        key: next(v for v in SAMPLE_VALUES if re.fullmatch(conv.regex, str(v)))
        for key, conv in pattern.pattern.converters.items()
    }


def url_for(name: str, pattern: URLPattern, merchant, made: dict | None = None) -> str:
    """The URL of ``name`` pointing at one of ``merchant``'s own objects (or a sample)."""
    if not pattern.pattern.converters:
        return reverse(name)
    if made and name in made:
        return reverse(name, kwargs=made[name])
    if name in OBJECT_URLS:
        _rename_carrier_accounts(merchant)
        return reverse(name, kwargs=OBJECT_URLS[name](merchant))
    return reverse(name, kwargs=sample_kwargs(pattern))


def _rename_carrier_accounts(merchant) -> None:
    """The registry's builders reuse one nickname; make room so each can build its own."""
    from carriers.models import CarrierAccount

    for account in CarrierAccount.objects.filter(merchant=merchant, nickname="Main postage"):
        account.nickname = account.username = f"account-{account.pk}"
        account.save(update_fields=["nickname", "username"])


NONCE_RE = re.compile(r"'nonce-([^']+)'")


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def csp_violations(response) -> list[str]:
    """What in this HTML response the browser would refuse to run under its own CSP header,
    or what only runs because the policy is weak. Empty when the page is clean."""
    header = response.get("Content-Security-Policy", "")
    if not header:
        return ["no Content-Security-Policy header"]
    policy = csp_directives(header)
    script_src = policy.get("script-src", policy.get("default-src", []))
    style_src = policy.get("style-src", policy.get("default-src", []))
    problems = [f"script-src allows {w}" for w in ("'unsafe-inline'", "'unsafe-eval'", "*")
                if w in script_src]  # fmt: skip
    nonces = {m for w in script_src for m in NONCE_RE.findall(w)}
    inline_styles_ok = "'unsafe-inline'" in style_src
    scan = _Scan()
    scan.feed(response.content.decode(response.charset or "utf-8"))
    for tag, attrs in scan.tags:
        for attr, value in attrs.items():
            if attr.startswith("on"):
                problems.append(f"<{tag} {attr}=...> event handler attribute")
            if attr == "style" and not inline_styles_ok:
                problems.append(f"<{tag} style=...> while style-src forbids inline styles")
            if attr in {"href", "src", "action", "formaction"} and (value or "").strip().lower(
            ).startswith("javascript:"):  # fmt: skip
                problems.append(f"<{tag} {attr}=javascript:...>")
        if tag == "script" and not attrs.get("src") and attrs.get("nonce") not in nonces:
            problems.append("inline <script> without the response's nonce")
        if tag == "script" and attrs.get("src") and attrs.get("nonce", "") not in nonces | {""}:
            problems.append(f"<script src={attrs['src']}> with a nonce that isn't this response's")
        if tag == "style" and not inline_styles_ok:
            problems.append("<style> element while style-src forbids inline styles")
    return problems
