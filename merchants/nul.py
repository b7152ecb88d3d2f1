"""Text with a NUL character is refused before any view reads it: a 400 that says why.

PostgreSQL compares and stores no NUL character: a search, a filter or a token in the address
with one was a server error at the first query (SQLite lets it through, so only production
saw it). Forms already refuse it field by field (Django's CharField); the middleware refuses it
in the address (the path and the query string), and a view that parses text of its own (a
list's filter sent in a form field) asks ``holds_nul`` and answers with ``refusal``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse, QueryDict

NUL = "\x00"
MESSAGE = (
    "ShipDesk can't read text with a NUL character (\\0, written %00 in an address): "
    "remove it and try again."
)


def holds_nul(params: QueryDict) -> bool:
    return any(
        NUL in key or any(NUL in value for value in values) for key, values in params.lists()
    )


def refusal(request: HttpRequest) -> HttpResponse:
    if request.content_type == "application/json":  # the order API answers in JSON
        return JsonResponse({"error": MESSAGE}, status=400)
    return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")


class NulCharacterMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path or holds_nul(request.GET):
            return refusal(request)
        return self.get_response(request)
