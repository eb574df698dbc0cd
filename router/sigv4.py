"""AWS Signature Version 4 verification for the DynamoDB JSON endpoint. Pure: no I/O, no clock
(``now`` is an argument), no module state beyond constants.

Rules and invariants (checks run in the order DynamoDB runs them, as recorded by dynalite's tests
against the real service, and each raises the error DynamoDB raises, word for word):

1. An ``Authorization`` header and ``X-Amz-Algorithm`` in the query string together:
   InvalidSignatureException. Neither, or a header not starting with ``AWS4-``:
   MissingAuthenticationTokenException "Request is missing Authentication Token".
2. Missing Credential / Signature / SignedHeaders, or neither X-Amz-Date nor Date:
   IncompleteSignatureException listing every missing part.
   -- In *open* mode (no keys configured: the local cluster) verification stops here: any
   credentials are accepted, but the request must still look signed, as DynamoDB Local requires.
3. Date not in ISO-8601 basic format: IncompleteSignatureException; more than ``max_skew_s``
   (15 min) away from ``now``: InvalidSignatureException "Signature expired" / "not yet current".
4. ``host`` not among the signed headers; an algorithm other than AWS4-HMAC-SHA256; a credential
   that is not ``keyid/date/region/service/aws4_request``; a scope whose date, region or service
   does not match: the corresponding Incomplete/InvalidSignatureException.
5. An access key id we do not know, or any X-Amz-Security-Token (KuraDB issues no session
   tokens): UnrecognizedClientException "The security token included in the request is invalid."
6. Finally the signature: canonical request -> string to sign -> HMAC chain
   (AWS4+secret, date, region, service, aws4_request), compared in constant time. A mismatch is
   InvalidSignatureException carrying, as AWS does, the canonical request and string to sign the
   server computed, so a client author can diff them.

Canonical request (non-S3 rules): the path as received on the wire with dot segments removed and
then URI-encoded once more (so botocore's double encoding matches); query parameters decoded,
re-encoded with RFC 3986 unreserved characters only, sorted by name then value; signed headers
lower-cased, values trimmed with inner runs of spaces collapsed, repeated headers joined by ",";
the payload hash is SHA-256 of the body actually received.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_tz, mktime_tz
from pathlib import Path
from typing import Final
from urllib.parse import quote, unquote

from kuradb.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

ALGORITHM: Final = "AWS4-HMAC-SHA256"
TERMINATOR: Final = "aws4_request"
DEFAULT_SERVICE: Final = "dynamodb"
MAX_SKEW_S: Final = 15 * 60
MAX_PRESIGN_EXPIRES_S: Final = 7 * 24 * 3600

MSG_MISSING_TOKEN: Final = "Request is missing Authentication Token"
MSG_BAD_TOKEN: Final = "The security token included in the request is invalid."
MSG_BAD_SESSION_TOKEN: Final = "The security token included in the request is invalid"
MSG_SIGNATURE_MISMATCH: Final = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
MSG_BOTH_AUTH: Final = "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
MSG_HOST_NOT_SIGNED: Final = "'Host' must be a 'SignedHeader' in the AWS Authorization."

_ISO_BASIC: Final = re.compile(r"^\d{8}T\d{6}Z$")
_SPACES: Final = re.compile(r" +")


# The two authentication errors kuradb/errors.py does not define yet (reported to the lead); named
# and shaped exactly like the others so ERRORS_BY_NAME can absorb them unchanged.
@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What the verifier needs of an HTTP request, transport-independent.

    ``path`` is the path exactly as received (still percent-encoded), ``query`` the raw query
    string, ``headers`` every (name, value) pair in any case, repeated names allowed."""

    method: str
    path: str
    query: str
    headers: Sequence[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return ",".join(values) if values else None

    def header_values(self, name: str) -> list[str]:
        lname = name.lower()
        return [v for k, v in self.headers if k.lower() == lname]


@dataclass(frozen=True, slots=True)
class Identity:
    """Who signed: the access key id (``""`` for an unsigned-but-accepted open-mode request)."""

    access_key_id: str
    region: str


@dataclass(frozen=True, slots=True)
class _Auth:
    algorithm: str
    credential: str
    signed_headers: str
    signature: str
    date: str  # as sent: ISO basic (X-Amz-Date) or RFC 1123 (Date)
    raw: str  # the Authorization header, for error messages
    presigned: bool
    expires: int | None = None  # X-Amz-Expires of a presigned URL


# ------------------------------------------------------------------ canonical forms


def _uri_encode(s: str, safe: str = "-_.~") -> str:
    return quote(s, safe=safe)


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 as botocore applies it (double slashes are kept)."""
    if not path:
        return "/"
    out: list[str] = []
    for segment in path.split("/"):
        if segment == ".":
            continue
        if segment == "..":
            if out:
                out.pop()
            continue
        out.append(segment)
    if path.startswith("/") and (not out or out[0]):
        out.insert(0, "")
    if out and path.endswith(("/.", "/..")):
        out.append("")
    return "/".join(out) or "/"


def canonical_uri(path: str) -> str:
    return _uri_encode(remove_dot_segments(path), safe="/~-_.")


def canonical_query(query: str, drop: Iterable[str] = ()) -> str:
    dropped = set(drop)
    pairs: list[tuple[str, str]] = []
    for part in query.split("&") if query else ():
        if not part:
            continue
        k, _, v = part.partition("=")
        k, v = unquote(k.replace("+", " ")), unquote(v.replace("+", " "))
        if k in dropped:
            continue
        pairs.append((_uri_encode(k), _uri_encode(v)))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def canonical_headers(req: SignedRequest, signed: Sequence[str]) -> str:
    lines = []
    for name in signed:
        values = [_SPACES.sub(" ", v.strip()) for v in req.header_values(name)]
        lines.append(f"{name}:{','.join(values)}\n")
    return "".join(lines)


def canonical_request(req: SignedRequest, signed_headers: Sequence[str], payload_hash: str,
                      drop_query: Iterable[str] = ()) -> str:  # fmt: skip
    return "\n".join([
        req.method.upper(),
        canonical_uri(req.path),
        canonical_query(req.query, drop_query),
        canonical_headers(req, signed_headers),
        ";".join(signed_headers),
        payload_hash,
    ])  # fmt: skip


def string_to_sign(amz_date: str, scope: str, creq: str) -> str:
    return "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(creq.encode("utf-8")).hexdigest()])


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret).encode("utf-8")
    for part in (date, region, service, TERMINATOR):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def signature(secret: str, date: str, region: str, service: str, sts: str) -> str:
    return hmac.new(signing_key(secret, date, region, service), sts.encode("utf-8"), hashlib.sha256).hexdigest()


# ------------------------------------------------------------------ parsing


def _parse_header_auth(raw: str) -> dict[str, str]:
    """``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`` -> params."""
    params: dict[str, str] = {}
    for piece in re.split(r"[, ]", raw)[1:]:
        piece = piece.strip()
        if not piece:
            continue
        k, _, v = piece.partition("=")
        params[k] = v
    return params


def _query_params(query: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in query.split("&") if query else ():
        k, _, v = part.partition("=")
        out.setdefault(unquote(k.replace("+", " ")), unquote(v.replace("+", " ")))
    return out


def _iso_basic(ts: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(ts))


_MAX_TIMESTAMP: Final = 253402300799.0  # 9999-12-31T23:59:59Z


def _parse_date(raw: str) -> float | None:
    """Epoch seconds of an ISO-8601 basic (X-Amz-Date) or RFC 1123 (Date) timestamp; None if it
    is neither, or outside years 1970..9999 (which could not be printed back in messages)."""
    ts = _parse_any_date(raw)
    return ts if ts is not None and 0 <= ts <= _MAX_TIMESTAMP else None


def _parse_any_date(raw: str) -> float | None:
    if _ISO_BASIC.match(raw):
        try:
            return float(calendar.timegm(time.strptime(raw, "%Y%m%dT%H%M%SZ")))
        except ValueError:
            return None
    parsed = parsedate_tz(raw)
    if parsed is None:
        return None
    try:
        return float(mktime_tz(parsed))
    except (OverflowError, ValueError):
        return None


# ------------------------------------------------------------------ verifier


@dataclass(frozen=True)
class SigV4Verifier:
    """Verifies requests against ``keys`` (access key id -> secret). With no keys the verifier is
    in open mode: requests must carry a well-formed AWS4 Authorization, but any key is accepted.

    ``region`` restricts the credential scope's region when set; ``service`` is ``dynamodb`` for
    the endpoint (other values only for AWS's generic test vectors)."""

    keys: Mapping[str, str] = field(default_factory=dict)
    region: str | None = None
    service: str = DEFAULT_SERVICE
    max_skew_s: float = MAX_SKEW_S

    @property
    def open(self) -> bool:
        return not self.keys

    def verify(self, req: SignedRequest, now: float) -> Identity:
        """The signer's identity, or the KuraError DynamoDB answers for this request."""
        auth = self._auth(req)
        if self.open:
            parts = auth.credential.split("/")
            return Identity(parts[0], parts[2] if len(parts) > 2 else "")
        signed_ts = self._check_date(auth.date, now, auth.expires)
        amz_date = _iso_basic(signed_ts)
        signed = auth.signed_headers.split(";")
        if "host" not in [h.lower() for h in signed]:
            raise InvalidSignatureException(MSG_HOST_NOT_SIGNED)
        if auth.algorithm != ALGORITHM:
            raise IncompleteSignatureException(
                f"Unsupported AWS 'algorithm': '{auth.algorithm}' (only {ALGORITHM} for now). "
            )
        key_id, scope_date, region, service = self._check_credential(auth.credential, amz_date)
        secret = self.keys.get(key_id)
        if secret is None:
            raise UnrecognizedClientException(MSG_BAD_TOKEN)
        if req.header("x-amz-security-token") is not None or "X-Amz-Security-Token" in _query_params(req.query):
            raise UnrecognizedClientException(MSG_BAD_SESSION_TOKEN)
        payload = hashlib.sha256(req.body).hexdigest()
        creq = canonical_request(req, signed, payload, drop_query=("X-Amz-Signature",) if auth.presigned else ())
        scope = f"{scope_date}/{region}/{service}/{TERMINATOR}"
        sts = string_to_sign(amz_date, scope, creq)
        expected = signature(secret, scope_date, region, service, sts)
        if not hmac.compare_digest(expected, auth.signature):
            raise InvalidSignatureException(
                f"{MSG_SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have been\n'{creq}'\n\n"
                f"The String-to-Sign should have been\n'{sts}'\n"
            )
        return Identity(key_id, region)

    # -- steps

    def _auth(self, req: SignedRequest) -> _Auth:
        header = req.header("authorization")
        query = _query_params(req.query)
        if header is not None and "X-Amz-Algorithm" in query:
            raise InvalidSignatureException(MSG_BOTH_AUTH)
        if header is not None and header.strip()[:5] == "AWS4-":
            params = _parse_header_auth(header.strip())
            missing = "".join(
                f"Authorization header requires '{p}' parameter. "
                for p in ("Credential", "Signature", "SignedHeaders") if not params.get(p)
            )  # fmt: skip
            date = req.header("x-amz-date") or req.header("date")
            if not date:
                missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
            if missing:
                raise IncompleteSignatureException(f"{missing}Authorization={header}")
            algorithm = header.strip().split(" ", 1)[0].split(",", 1)[0]
            return _Auth(algorithm, params["Credential"], params["SignedHeaders"], params["Signature"], date,
                         header, presigned=False)  # fmt: skip
        if header is None and "X-Amz-Algorithm" in query:
            names = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date")
            missing = "".join(f"AWS query-string parameters must include '{p}'. " for p in names if not query.get(p))
            if missing:
                raise IncompleteSignatureException(f"{missing}Re-examine the query-string parameters.")
            expires = query.get("X-Amz-Expires")
            if expires is not None and not (expires.isdigit() and int(expires) <= MAX_PRESIGN_EXPIRES_S):
                raise IncompleteSignatureException(
                    f"X-Amz-Expires must be a non-negative integer of at most {MAX_PRESIGN_EXPIRES_S} seconds, "
                    f"got '{expires}'."
                )
            return _Auth(query["X-Amz-Algorithm"], query["X-Amz-Credential"], query["X-Amz-SignedHeaders"],
                         query["X-Amz-Signature"], query["X-Amz-Date"], "", presigned=True,
                         expires=int(expires) if expires is not None else None)  # fmt: skip
        raise MissingAuthenticationTokenException(MSG_MISSING_TOKEN)

    def _check_date(self, raw: str, now: float, expires: int | None = None) -> float:
        ts = _parse_date(raw)
        if ts is None:
            raise IncompleteSignatureException(
                f"Date must be in ISO-8601 'basic format'. Got '{raw}'. See http://en.wikipedia.org/wiki/ISO_8601"
            )
        minutes = int(self.max_skew_s // 60)
        if expires is not None and now > ts + expires:
            raise InvalidSignatureException(
                f"Signature expired: {_iso_basic(ts + expires)} is now earlier than {_iso_basic(now)} "
                f"(X-Amz-Date {_iso_basic(ts)} + X-Amz-Expires {expires} s)"
            )
        if expires is None and ts < now - self.max_skew_s:
            raise InvalidSignatureException(
                f"Signature expired: {_iso_basic(ts)} is now earlier than {_iso_basic(now - self.max_skew_s)} "
                f"({_iso_basic(now)} - {minutes} min.)"
            )
        if ts > now + self.max_skew_s:
            raise InvalidSignatureException(
                f"Signature not yet current: {_iso_basic(ts)} is still later than {_iso_basic(now + self.max_skew_s)} "
                f"({_iso_basic(now)} + {minutes} min.)"
            )
        return ts

    def _check_credential(self, credential: str, amz_date: str) -> tuple[str, str, str, str]:
        parts = credential.rstrip("/").split("/")
        if len(parts) != 5:
            raise IncompleteSignatureException(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
                f"got '{credential.rstrip('/')}'"
            )
        key_id, date, region, service, term = parts
        msg = ""
        if not region or (self.region is not None and region != self.region):
            msg += f"Credential should be scoped to a valid region, not '{region}'. "
        if service != self.service:
            msg += f"Credential should be scoped to correct service: '{self.service}'. "
        if term != TERMINATOR:
            msg += f"Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{term}'. "
        if date != amz_date[:8]:
            msg += (f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                    f"'{date}' != '{amz_date[:8]}', from '{amz_date}'.")  # fmt: skip
        if msg:
            raise InvalidSignatureException(msg.rstrip())
        return key_id, date, region, service


# ------------------------------------------------------------------ key configuration


def parse_access_keys(spec: str) -> dict[str, str]:
    """``KEY:SECRET[,KEY:SECRET...]`` or ``@FILE`` / a path to a file with one ``KEY:SECRET`` (or
    ``KEY SECRET``) per line, ``#`` comments allowed. Raises ValueError on a malformed entry, so a
    typo never silently turns verification off."""
    path = Path(spec[1:] if spec.startswith("@") else spec)
    if spec.startswith("@") or (":" not in spec and path.is_file()):
        entries = [ln.split("#", 1)[0].strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    else:
        entries = [e.strip() for e in spec.split(",")]
    keys: dict[str, str] = {}
    for entry in entries:
        if not entry:
            continue
        if ":" not in entry:
            entry = re.sub(r"\s+", ":", entry, count=1)
        key, sep, secret = entry.partition(":")
        if not sep or not key.strip() or not secret.strip():
            raise ValueError(f"access key entry must be KEY:SECRET, got {entry!r}")
        keys[key.strip()] = secret.strip()
    if not keys:
        raise ValueError("no access keys given")
    return keys
