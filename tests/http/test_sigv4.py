"""router/sigv4.py: AWS's published test vectors, botocore's signer, and every rejection."""

from __future__ import annotations

import calendar
import time

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from kuradb.errors import InvalidSignatureException, UnrecognizedClientException
from kuradb.errors import IncompleteSignatureException, MissingAuthenticationTokenException
from kuradb.router.sigv4 import (
    SignedRequest,
    SigV4Verifier,
    canonical_query,
    canonical_uri,
    parse_access_keys,
    signing_key,
)

# AWS sig-v4 test suite (aws-sig-v4-test-suite): credentials, clock and scope of every vector.
AKID, SUITE_SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SUITE_NOW = float(calendar.timegm((2015, 8, 30, 12, 36, 0)))
SUITE = SigV4Verifier({AKID: SUITE_SECRET}, service="service")
SCOPE = "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date"


def suite_request(method: str, path: str, query: str, sig: str, body: bytes = b"") -> SignedRequest:
    return SignedRequest(method, path, query, [
        ("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z"),
        ("Authorization", f"AWS4-HMAC-SHA256 {SCOPE}, Signature={sig}")], body)  # fmt: skip


@pytest.mark.parametrize("method,path,query,sig", [
    ("GET", "/", "", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),  # get-vanilla
    ("GET", "/", "Param2=value2&Param1=value1",  # get-vanilla-query-order-key-case
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    ("POST", "/", "", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),  # post-vanilla
    ("GET", "/\u1234", "", "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),  # get-utf8
])  # fmt: skip
def test_aws_test_suite_vectors(method: str, path: str, query: str, sig: str) -> None:
    ident = SUITE.verify(suite_request(method, path, query, sig), SUITE_NOW)
    assert ident.access_key_id == AKID and ident.region == "us-east-1"
    with pytest.raises(InvalidSignatureException):
        SUITE.verify(suite_request(method, path + "x", query, sig), SUITE_NOW)


def test_signing_key_matches_the_published_derivation() -> None:
    key = signing_key(SUITE_SECRET, "20150830", "us-east-1", "iam")
    assert key.hex() == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"


def test_canonical_forms() -> None:
    assert canonical_uri("/a/./b/../c") == "/a/c"
    assert canonical_uri("/a%20b") == "/a%2520b"  # botocore double-encodes non-S3 paths
    assert canonical_query("b=2&a=1&A=0&c=a b") == "A=0&a=1&b=2&c=a%20b"


KEYS = {"AKIDKURA": "kura-secret", "AKIDOTHER": "other/secret+x"}
VERIFIER = SigV4Verifier(KEYS)


def botocore_signed(body: bytes, key: str = "AKIDKURA", secret: str = "kura-secret", region: str = "us-west-2",
                    service: str = "dynamodb", url: str = "http://127.0.0.1:8000/",
                    extra: dict[str, str] | None = None) -> SignedRequest:  # fmt: skip
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.GetItem",
               **(extra or {})}  # fmt: skip
    req = AWSRequest(method="POST", url=url, data=body, headers=headers)
    SigV4Auth(Credentials(key, secret), service, region).add_auth(req)
    path, _, query = url.split("8000", 1)[1].partition("?")
    return SignedRequest("POST", path, query,
                         [("Host", "127.0.0.1:8000"), *req.headers.items()], body)  # fmt: skip


def test_botocore_signatures_verify() -> None:
    for key, secret in KEYS.items():
        ident = VERIFIER.verify(botocore_signed(b'{"TableName": "t"}', key, secret), time.time())
        assert ident.access_key_id == key and ident.region == "us-west-2"


def test_botocore_signature_with_path_and_query() -> None:
    req = botocore_signed(b"{}", url="http://127.0.0.1:8000/a%20b/c?x=1&y=%2F")
    VERIFIER.verify(req, time.time())


def test_presigned_query_auth() -> None:
    req = AWSRequest(method="POST", url="http://127.0.0.1:8000/", data=b"{}",
                     headers={"X-Amz-Target": "DynamoDB_20120810.ListTables"})  # fmt: skip
    SigV4QueryAuth(Credentials("AKIDKURA", "kura-secret"), "dynamodb", "us-east-1", expires=60).add_auth(req)
    _, _, query = req.url.partition("?")
    body = req.body or b""  # botocore moves a presigned request's body into the query string
    sr = SignedRequest("POST", "/", query, [("Host", "127.0.0.1:8000"), *req.headers.items()], body)
    VERIFIER.verify(sr, time.time())
    with pytest.raises(InvalidSignatureException) as e:
        VERIFIER.verify(sr, time.time() + 61)
    assert e.value.message.startswith("Signature expired: ")


def test_bad_signature() -> None:
    req = botocore_signed(b'{"TableName": "t"}', secret="wrong")
    with pytest.raises(InvalidSignatureException) as e:
        VERIFIER.verify(req, time.time())
    assert e.value.message.startswith("The request signature we calculated does not match the signature you "
                                      "provided. Check your AWS Secret Access Key and signing method. Consult "
                                      "the service documentation for details.")  # fmt: skip
    assert "The Canonical String for this request should have been" in e.value.message


def test_tampered_body() -> None:
    req = botocore_signed(b'{"TableName": "t"}')
    tampered = SignedRequest(req.method, req.path, req.query, req.headers, b'{"TableName": "u"}')
    with pytest.raises(InvalidSignatureException):
        VERIFIER.verify(tampered, time.time())


def test_unknown_key() -> None:
    with pytest.raises(UnrecognizedClientException) as e:
        VERIFIER.verify(botocore_signed(b"{}", key="AKIDNOPE"), time.time())
    assert e.value.message == "The security token included in the request is invalid."


def test_session_token_is_not_recognized() -> None:
    req = AWSRequest(method="POST", url="http://127.0.0.1:8000/", data=b"{}")
    SigV4Auth(Credentials("AKIDKURA", "kura-secret", "token"), "dynamodb", "us-east-1").add_auth(req)
    sr = SignedRequest("POST", "/", "", [("Host", "127.0.0.1:8000"), *req.headers.items()], b"{}")
    with pytest.raises(UnrecognizedClientException) as e:
        VERIFIER.verify(sr, time.time())
    assert e.value.message == "The security token included in the request is invalid"


def test_expired_and_future_dates() -> None:
    req = botocore_signed(b"{}")
    now = time.time()
    VERIFIER.verify(req, now + 14 * 60)
    with pytest.raises(InvalidSignatureException) as e:
        VERIFIER.verify(req, now + 16 * 60)
    assert e.value.message.startswith("Signature expired: ") and e.value.message.endswith(" - 15 min.)")
    with pytest.raises(InvalidSignatureException) as e:
        VERIFIER.verify(req, now - 16 * 60)
    assert e.value.message.startswith("Signature not yet current: ")


def test_wrong_service_and_region() -> None:
    with pytest.raises(InvalidSignatureException) as e:
        VERIFIER.verify(botocore_signed(b"{}", service="s3"), time.time())
    assert e.value.message == "Credential should be scoped to correct service: 'dynamodb'."
    pinned = SigV4Verifier(KEYS, region="eu-west-1")
    with pytest.raises(InvalidSignatureException) as e:
        pinned.verify(botocore_signed(b"{}"), time.time())
    assert e.value.message == "Credential should be scoped to a valid region, not 'us-west-2'."


def _with_auth(auth: str | None, date: str | None = "20150830T123600Z") -> SignedRequest:
    headers = [("Host", "h")]
    if auth is not None:
        headers.append(("Authorization", auth))
    if date is not None:
        headers.append(("X-Amz-Date", date))
    return SignedRequest("POST", "/", "", headers, b"")


@pytest.mark.parametrize("verifier", [VERIFIER, SigV4Verifier()], ids=["keys", "open"])
def test_missing_and_incomplete_auth(verifier: SigV4Verifier) -> None:
    for auth in (None, "Basic abc", "   "):
        with pytest.raises(MissingAuthenticationTokenException) as m:
            verifier.verify(_with_auth(auth), SUITE_NOW)
        assert m.value.message == "Request is missing Authentication Token"
    with pytest.raises(IncompleteSignatureException) as i:
        verifier.verify(_with_auth("AWS4-HMAC-SHA256 Signature=b", None), SUITE_NOW)
    assert i.value.message == (
        "Authorization header requires 'Credential' parameter. Authorization header requires 'SignedHeaders' "
        "parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=AWS4-HMAC-SHA256 Signature=b")  # fmt: skip
    both = SignedRequest("POST", "/", "X-Amz-Algorithm=a", [("Authorization", "AWS4-x")], b"")
    with pytest.raises(InvalidSignatureException):
        verifier.verify(both, SUITE_NOW)


def test_open_mode_accepts_any_credentials() -> None:
    ident = SigV4Verifier().verify(botocore_signed(b"{}", key="anything", secret="whatever"), 0.0)
    assert ident.access_key_id == "anything"


def test_structural_errors_in_order() -> None:
    base = "AWS4-HMAC-SHA256 Credential=AKIDKURA/20150830/us-east-1/dynamodb/aws4_request, " \
           "SignedHeaders=host;x-amz-date, Signature=00"
    with pytest.raises(IncompleteSignatureException) as e:
        VERIFIER.verify(_with_auth(base, "2015"), SUITE_NOW)
    assert e.value.message == "Date must be in ISO-8601 'basic format'. Got '2015'. See http://en.wikipedia.org/wiki/ISO_8601"
    with pytest.raises(InvalidSignatureException) as e:
        VERIFIER.verify(_with_auth(base.replace("host;", "")), SUITE_NOW)
    assert e.value.message == "'Host' must be a 'SignedHeader' in the AWS Authorization."
    with pytest.raises(IncompleteSignatureException) as e:
        VERIFIER.verify(_with_auth(base.replace("SHA256", "SHA25")), SUITE_NOW)
    assert e.value.message == "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA25' (only AWS4-HMAC-SHA256 for now). "
    with pytest.raises(IncompleteSignatureException) as e:
        VERIFIER.verify(_with_auth(base.replace("/aws4_request", "")), SUITE_NOW)
    assert e.value.message.startswith("Credential must have exactly 5 slash-delimited elements")
    with pytest.raises(InvalidSignatureException) as e:
        VERIFIER.verify(_with_auth(base.replace("20150830/", "20150831/")), SUITE_NOW)
    assert e.value.message == ("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                               "from HTTP: '20150831' != '20150830', from '20150830T123600Z'.")  # fmt: skip
    with pytest.raises(InvalidSignatureException):  # well-formed, known key, wrong signature
        VERIFIER.verify(_with_auth(base), SUITE_NOW)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=20), st.text(max_size=40)), max_size=6), st.text(max_size=50),
       st.text(max_size=50), st.binary(max_size=64))  # fmt: skip
def test_garbage_never_escapes_as_anything_but_auth_errors(headers: list[tuple[str, str]], path: str, query: str,
                                                           body: bytes) -> None:  # fmt: skip
    for verifier in (VERIFIER, SigV4Verifier()):
        try:
            verifier.verify(SignedRequest("POST", path or "/", query, headers, body), SUITE_NOW)
        except (MissingAuthenticationTokenException, IncompleteSignatureException, InvalidSignatureException,
                UnrecognizedClientException):  # fmt: skip
            pass


def test_parse_access_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert parse_access_keys("a:b, c:d:e") == {"a": "b", "c": "d:e"}
    f = tmp_path / "keys"
    f.write_text("# comment\nk1:s1\nk2 s2\n\n")
    assert parse_access_keys(f"@{f}") == {"k1": "s1", "k2": "s2"}
    assert parse_access_keys(str(f)) == {"k1": "s1", "k2": "s2"}
    for bad in ("", "nokey", "a:"):
        with pytest.raises(ValueError):
            parse_access_keys(bad)
