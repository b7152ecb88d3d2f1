"""Twilio's HTTP edge for tests: a twilio.http.HttpClient that records each request exactly
(method, URL, form data, basic auth) and answers like Verify v2 does, statefully: a sent code
waits ten minutes, five wrong checks use it up (429, error 60202), an approved or expired one
is gone (404, error 20404), five sends an hour to one number are the most (429, error 60203).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from django.utils import timezone
from twilio.http import HttpClient
from twilio.http.response import Response

ACCOUNT_SID = "AC" + "a" * 32
AUTH_TOKEN = "tw-auth-token-do-not-log-7f3a"
SERVICE_SID = "VA" + "b" * 32
BASE = f"https://verify.twilio.com/v2/Services/{SERVICE_SID}"


@dataclass
class Pending:
    sid: str
    code: str
    sent_at: dt.datetime
    checks: int = 0


@dataclass
class Recorded:
    method: str
    url: str
    data: dict
    auth: tuple[str, str] | None


def _error(status: int, code: int, message: str) -> Response:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return Response(status, json.dumps(body))


@dataclass
class FakeVerify(HttpClient):
    codes: list[str] = field(default_factory=lambda: ["482913", "605127", "731884", "290455"])
    requests: list[Recorded] = field(default_factory=list)
    pending: dict[str, Pending] = field(default_factory=dict)
    sends: dict[str, list[dt.datetime]] = field(default_factory=dict)
    unreachable: bool = False

    def __post_init__(self) -> None:
        super().__init__(None, is_async=False)

    def expire(self, phone: str) -> None:
        """Ten minutes passed at Twilio (its clock, not the test's)."""
        self.pending.pop(phone, None)

    def request(self, method, url, params=None, data=None, headers=None, auth=None, **kwargs):
        data = dict(data or {})
        self.requests.append(Recorded(method, url, data, auth))
        if self.unreachable:
            from twilio.base.exceptions import TwilioException

            raise TwilioException("connection refused")
        if auth != (ACCOUNT_SID, AUTH_TOKEN):
            return _error(401, 20003, "Authenticate")
        now = timezone.now()
        if url == f"{BASE}/Verifications" and method == "POST":
            return self._send(data, now)
        if url == f"{BASE}/VerificationCheck" and method == "POST":
            return self._check(data, now)
        return _error(404, 20404, f"The requested resource {url} was not found")

    def _resource(self, to: str, sid: str, status: str, now: dt.datetime) -> dict:
        return {
            "sid": sid,
            "service_sid": SERVICE_SID,
            "account_sid": ACCOUNT_SID,
            "to": to,
            "channel": "sms",
            "status": status,
            "valid": status == "approved",
            "amount": None,
            "payee": None,
            "date_created": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "date_updated": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def _send(self, data: dict, now: dt.datetime) -> Response:
        to = data["To"]
        recent = [t for t in self.sends.get(to, []) if now - t < dt.timedelta(hours=1)]
        if len(recent) >= 5:
            return _error(429, 60203, "Max send attempts reached")
        self.sends[to] = [*recent, now]
        current = self.pending.get(to)
        if current is None or now - current.sent_at > dt.timedelta(minutes=10):
            sid = f"VE{len(self.requests):032d}"
            current = Pending(sid, self.codes.pop(0), now)
            self.pending[to] = current
        body = self._resource(to, current.sid, "pending", now)
        body["send_code_attempts"] = [{"channel": "sms", "time": body["date_created"]}]
        body["url"] = f"{BASE}/Verifications/{current.sid}"
        return Response(201, json.dumps(body))

    def _check(self, data: dict, now: dt.datetime) -> Response:
        to = data["To"]
        current = self.pending.get(to)
        if current is None or now - current.sent_at > dt.timedelta(minutes=10):
            self.pending.pop(to, None)
            return _error(
                404, 20404, f"The requested resource {BASE}/VerificationCheck was not found"
            )
        if current.checks >= 5:
            return _error(429, 60202, "Max check attempts reached")
        current.checks += 1
        if data["Code"] != current.code:
            return Response(200, json.dumps(self._resource(to, current.sid, "pending", now)))
        del self.pending[to]
        return Response(200, json.dumps(self._resource(to, current.sid, "approved", now)))

    def code_for(self, phone: str) -> str:
        return self.pending[phone].code
