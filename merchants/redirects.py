"""Where to send someone back to after a form: a path of this site they came from, never a
page elsewhere (an open redirect) and never something ``redirect()`` would take for a URL
name (a forged ``next=0`` raised NoReverseMatch, a server error)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def back_to(request: HttpRequest, candidate: str | None, default: str) -> HttpResponseRedirect:
    """A redirect to ``candidate`` when it is a path on this site, else to ``default`` (a
    URL name or a path)."""
    if (
        candidate
        and candidate.startswith("/")
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return HttpResponseRedirect(candidate)
    return HttpResponseRedirect(resolve_url(default))
