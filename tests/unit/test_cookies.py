"""The conversation cookie jar: what an app's Set-Cookie answers make Twilio send back."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from telephonist.webhooks.cookies import (
    LIFETIME,
    MAX_COOKIE_BYTES,
    MAX_COOKIES,
    NO_COOKIES,
    CookieJar,
)

NOW = 1_700_000_000 * 1_000_000  # microseconds
SECOND = 1_000_000
APP = "https://app.example/sms/incoming"


def http_date(micros: int, *, netscape: bool = False) -> str:
    moment = datetime.fromtimestamp(micros / SECOND, UTC)
    if netscape:  # the dashed form PHP and older servers send
        return moment.strftime("%a, %d-%b-%Y %H:%M:%S GMT")
    return format_datetime(moment, usegmt=True)


def jar_after(*set_cookies: str, url: str = APP, now: int = NOW) -> CookieJar:
    return NO_COOKIES.received(url, set_cookies, now)


def test_a_session_cookie_comes_back_to_the_app() -> None:
    """A cookie set in one answer is sent, as a browser would send it, on the next request."""
    jar = jar_after("session=abc.def=; HttpOnly; Path=/; SameSite=Lax")
    assert jar.header(APP, NOW + SECOND) == "session=abc.def="
    assert NO_COOKIES.header(APP, NOW) is None


def test_several_cookies_and_replacement() -> None:
    """Each Set-Cookie is kept; setting a name again replaces its value in place."""
    jar = jar_after("a=1", "b=2")
    jar = jar.received(APP, ["a=3"], NOW + SECOND)
    assert jar.header(APP, NOW + 2 * SECOND) == "a=3; b=2"


@pytest.mark.parametrize(
    ("set_cookie", "sent_to", "not_sent_to"),
    [
        ("a=1; Path=/sms", ["/sms", "/sms/", "/sms/next"], ["/", "/smsx", "/other/sms"]),
        ("a=1; Path=/sms/", ["/sms/", "/sms/next"], ["/sms", "/"]),
        ("a=1", ["/sms", "/sms/incoming", "/sms/x/y"], ["/", "/other"]),  # default: /sms
        ("a=1; Path=relative", ["/sms/x"], ["/"]),  # not a path: the default
        ("a=1; Path=/", ["/", "/anything"], []),
    ],
)
def test_path_scopes_a_cookie(set_cookie: str, sent_to: list[str], not_sent_to: list[str]) -> None:
    """Path limits a cookie to a path and below (RFC 6265 §5.1.4); no Path: the URL's directory."""
    jar = jar_after(set_cookie)
    for path in sent_to:
        assert jar.header(f"https://app.example{path}", NOW) == "a=1", path
    for path in not_sent_to:
        assert jar.header(f"https://app.example{path}", NOW) is None, path


def test_the_default_path_of_a_top_level_url_is_root() -> None:
    """A cookie set by /sms (no directory) covers the whole host, as in browsers."""
    jar = jar_after("a=1", url="https://app.example/sms")
    assert jar.header("https://app.example/other", NOW) == "a=1"


def test_more_specific_paths_come_first() -> None:
    """Two cookies of one name at two paths: the longer path's value is sent first."""
    jar = jar_after("step=root; Path=/", "step=deep; Path=/sms")
    assert jar.header(APP, NOW) == "step=deep; step=root"
    assert jar.header("https://app.example/", NOW) == "step=root"


def test_max_age_expires_a_cookie() -> None:
    """Max-Age counts from when the cookie was set; past it the cookie is not sent."""
    jar = jar_after("a=1; Max-Age=60")
    assert jar.header(APP, NOW + 59 * SECOND) == "a=1"
    assert jar.header(APP, NOW + 60 * SECOND) is None
    assert jar.live(NOW + 60 * SECOND) == NO_COOKIES


def test_expires_expires_a_cookie() -> None:
    """Expires is an HTTP date; the dashed Netscape form servers still send works too."""
    at = NOW + 120 * SECOND
    for header in (
        f"a=1; Expires={http_date(at)}",
        f"a=1; expires={http_date(at, netscape=True)}",
    ):
        jar = jar_after(header)
        assert jar.header(APP, at - SECOND) == "a=1", header
        assert jar.header(APP, at) is None, header


def test_max_age_wins_over_expires() -> None:
    jar = jar_after(f"a=1; Expires={http_date(NOW + 3600 * SECOND)}; Max-Age=10")
    assert jar.header(APP, NOW + 10 * SECOND) is None


@pytest.mark.parametrize(
    "deletion",
    ["a=; Max-Age=0", "a=gone; Max-Age=-1", "a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT"],
)
def test_a_cookie_in_the_past_deletes(deletion: str) -> None:
    """Max-Age=0 (or less) or an Expires in the past removes the cookie of that name and path."""
    jar = jar_after("a=1; Path=/sms", "b=2")
    jar = jar.received(APP, [deletion + "; Path=/sms"], NOW + SECOND)
    assert jar.header(APP, NOW + SECOND) == "b=2"
    other_path = jar_after("a=1; Path=/sms").received(APP, [deletion + "; Path=/"], NOW)
    assert other_path.header(APP, NOW) == "a=1"  # another path: another cookie


def test_a_bad_max_age_is_ignored() -> None:
    jar = jar_after("a=1; Max-Age=soon")
    assert jar.header(APP, NOW + LIFETIME - SECOND) == "a=1"


def test_no_cookie_outlives_four_hours() -> None:
    """Session cookies and long Max-Age or Expires alike end four hours after being set."""
    year = 365 * 24 * 3600
    for header in ("a=1", f"a=1; Max-Age={year}", f"a=1; Expires={http_date(NOW + year * SECOND)}"):
        jar = jar_after(header)
        assert jar.header(APP, NOW + LIFETIME - SECOND) == "a=1", header
        assert jar.header(APP, NOW + LIFETIME) is None, header
        assert jar.expires_at == NOW + LIFETIME


def test_setting_again_renews_the_four_hours() -> None:
    """The cap counts from the latest Set-Cookie, so an active session lives on."""
    later = NOW + LIFETIME - SECOND
    jar = jar_after("a=1").received(APP, ["a=2"], later)
    assert jar.header(APP, later + LIFETIME - SECOND) == "a=2"


def test_cookies_are_host_only() -> None:
    """A cookie set by host A is never sent to host B, nor to A's subdomains."""
    jar = jar_after("a=1", url="https://a.example/x")
    assert jar.header("https://a.example/y", NOW) == "a=1"
    assert jar.header("https://A.EXAMPLE/y", NOW) == "a=1"  # host names ignore case
    assert jar.header("http://a.example:8080/y", NOW) == "a=1"  # ports are not told apart
    for other in ("https://b.example/y", "https://sub.a.example/y", "https://example/y"):
        assert jar.header(other, NOW) is None, other


def test_domain_attribute() -> None:
    """A Domain covering the host is accepted (still host-only); any other drops the cookie."""
    jar = jar_after("a=1; Domain=.app.example", "b=2; Domain=other.example", "c=3; Domain=example")
    assert jar.header(APP, NOW) == "a=1; c=3"
    assert jar.header("https://www.app.example/sms/x", NOW) is None


def test_secure_cookies_go_only_to_https() -> None:
    jar = jar_after("a=1; Secure", "b=2", url="https://app.example/")
    assert jar.header("https://app.example/", NOW) == "a=1; b=2"
    assert jar.header("http://app.example/", NOW) == "b=2"


@pytest.mark.parametrize("header", ["", "novalue", "=nameless", ";", "  ; Path=/"])
def test_malformed_set_cookie_is_ignored(header: str) -> None:
    assert jar_after(header) == NO_COOKIES


def test_limits() -> None:
    """Oversized cookies are ignored; past the count limit the oldest are dropped."""
    assert jar_after("a=" + "x" * MAX_COOKIE_BYTES) == NO_COOKIES
    jar = NO_COOKIES
    for n in range(MAX_COOKIES + 5):
        jar = jar.received(APP, [f"c{n}=v"], NOW + n)
    names = [c.name for c in jar.cookies]
    assert names == [f"c{n}" for n in range(5, MAX_COOKIES + 5)]


def test_values_are_sent_back_verbatim() -> None:
    """Quotes, '=' and URL-escapes in a value are the app's business: returned as they came."""
    jar = jar_after('q="a b"', "e=s%3Aabc.def", "pad=YWJj==")
    assert jar.header(APP, NOW) == 'q="a b"; e=s%3Aabc.def; pad=YWJj=='


def test_json_round_trip() -> None:
    jar = jar_after("a=1; Path=/sms; Secure", "b=2; Max-Age=60")
    assert CookieJar.from_json(jar.to_json()) == jar
    assert CookieJar.from_json(NO_COOKIES.to_json()) == NO_COOKIES


def test_unusable_urls_carry_no_cookies() -> None:
    jar = jar_after("a=1")
    assert jar.header("http://[::1/", NOW) is None
    assert jar.received("http://[::1/", ["b=2"], NOW) == jar
