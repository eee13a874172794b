"""Fetching an app's TwiML: the fallback URL, ``<Redirect>`` chains, limits and alert codes.

What Twilio does when a message (and, later, a call) asks an app what to do: request the URL,
interpret the answer, follow the document's ``<Redirect>`` to more TwiML (at most
:data:`MAX_REDIRECTS` times, then 11215), and when the primary URL fails, ask the fallback URL
once, telling it what went wrong (``ErrorCode``, ``ErrorUrl``). Every way an answer can be
unusable becomes the code its alert carries: the webhook's own (11200, 11205 …), 11750 for a body
over the limit, and the :class:`~telephonist.twiml.parse.TwimlError` code for a document that
cannot run (12100, 12300). An empty answer or a 204 means "do nothing" and is no error.

Interpretation is not done here: the caller passes a *planner*, a function from an answer's body,
Content-Type and URL to a plan (actions, an optional redirect, warnings). Messaging passes
:func:`~telephonist.twiml.messaging.messaging_planner`; a voice interpreter will pass its own.
Every request of a fetch (primary, ``<Redirect>`` hops, HTTP redirects, fallback) goes through the
client, so each is held to the outbound destination policy: a refused hop ends its chain with
11205, like an unreachable one. Cookies travel with every request of one fetch and the jar
comes back updated; keeping it, like recording alerts and acting on the plan, is the caller's:
this module does no database work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Generic, Protocol, TypeAlias, TypeVar

from telephonist.twiml.parse import DOCUMENT_TOO_LARGE, TwimlError, TwimlWarning
from telephonist.webhooks.cookies import NO_COOKIES, CookieJar
from telephonist.webhooks.delivery import Attempt, WebhookClient

MAX_REDIRECTS = 10
"""``<Redirect>`` hops followed from one URL; one more fails with :data:`TOO_MANY_REDIRECTS`."""

TOO_MANY_REDIRECTS = 11215

A = TypeVar("A")
A_co = TypeVar("A_co", covariant=True)

Params: TypeAlias = list[tuple[str, str]]
AttemptRecord: TypeAlias = tuple[Attempt, int | None, Params]
"""One request made: its answer, the alert code it earned (None: no alert), the parameters sent."""


class Redirect(Protocol):
    """Where a document sends Twilio next."""

    @property
    def url(self) -> str: ...

    @property
    def method(self) -> str: ...


class Plan(Protocol[A_co]):
    """What a planner makes of one document. If ``redirect`` is also among ``actions`` (as in
    messaging plans), it is followed, not collected."""

    @property
    def actions(self) -> Sequence[A_co]: ...

    @property
    def redirect(self) -> Redirect | None: ...

    @property
    def warnings(self) -> Sequence[TwimlWarning]: ...


Planner: TypeAlias = Callable[[bytes, str | None, str], Plan[A]]
"""``(body, content_type, document_url) -> plan``; raises TwimlError if the document cannot run."""


@dataclass(frozen=True, slots=True)
class TwimlResult(Generic[A]):
    """Everything one fetch did, for the caller to record and act on."""

    attempts: list[AttemptRecord]
    actions: list[A]
    warnings: list[TwimlWarning]
    cookies: CookieJar

    @property
    def code(self) -> int | None:
        """The outcome: None when the last document fetched could run, else its alert code."""
        return self.attempts[-1][1] if self.attempts else None


async def fetch_twiml(
    client: WebhookClient,
    planner: Planner[A],
    *,
    url: str,
    method: str,
    params: Params,
    auth_token: str,
    event: str,
    now: int,
    fallback_url: str | None = None,
    fallback_method: str = "POST",
    cookies: CookieJar = NO_COOKIES,
) -> TwimlResult[A]:
    """Fetch and plan the TwiML at ``url``, falling back to ``fallback_url`` if it fails.

    The actions are those of the chain that answered: the primary's, or, once it failed and a
    fallback is configured, the fallback's alone (without one, whatever the primary planned
    before it failed). Warnings accumulate over every document read. ``event`` keys the
    idempotency token, which the fallback shares with the primary URL; ``now`` (microseconds)
    is the time cookies are set and expired at.
    """
    run = _Run(client, planner, auth_token, event, now, cookies)
    actions, code = await run.follow(url, method, params, token_url=None)
    if code is not None and fallback_url:
        fallback_params = [*params, ("ErrorCode", str(code)), ("ErrorUrl", url)]
        actions, code = await run.follow(
            fallback_url, fallback_method, fallback_params, token_url=url
        )
    return TwimlResult(run.attempts, actions, run.warnings, run.cookies)


class _Run(Generic[A]):
    """The state of one fetch, across the primary chain and the fallback."""

    def __init__(
        self,
        client: WebhookClient,
        planner: Planner[A],
        auth_token: str,
        event: str,
        now: int,
        cookies: CookieJar,
    ) -> None:
        self.client = client
        self.planner = planner
        self.auth_token = auth_token
        self.event = event
        self.now = now
        self.cookies = cookies
        self.attempts: list[AttemptRecord] = []
        self.warnings: list[TwimlWarning] = []

    async def follow(
        self, url: str, method: str, params: Params, *, token_url: str | None
    ) -> tuple[list[A], int | None]:
        """One chain: ``url`` and its redirects. Answers the actions and the final code."""
        actions: list[A] = []
        hops = 0
        while True:
            attempt = await self.client.send(
                url,
                method,
                params,
                auth_token=self.auth_token,
                event=self.event,
                token_url=token_url,
                cookie=self.cookies.header(url, self.now),
            )
            self.cookies = self.cookies.received(url, attempt.set_cookies, self.now)
            if not attempt.ok:
                return self._end(actions, attempt, attempt.error_code, params)
            if attempt.too_large:
                detail = f"the response is larger than {self.client.max_body} bytes"
                return self._end(actions, attempt, DOCUMENT_TOO_LARGE, params, detail)
            if attempt.status == 204 or not attempt.body.strip():
                return self._end(actions, attempt, None, params)
            try:
                plan = self.planner(attempt.body, attempt.content_type, url)
            except TwimlError as exc:
                return self._end(actions, attempt, exc.code, params, exc.detail)
            self.warnings.extend(plan.warnings)
            redirect = plan.redirect
            actions.extend(a for a in plan.actions if a is not redirect)
            if redirect is None:
                return self._end(actions, attempt, None, params)
            if hops == MAX_REDIRECTS:
                detail = f"more than {MAX_REDIRECTS} <Redirect>s in a row"
                return self._end(actions, attempt, TOO_MANY_REDIRECTS, params, detail)
            self.attempts.append((attempt, None, params))
            hops += 1
            url, method = redirect.url, redirect.method

    def _end(
        self,
        actions: list[A],
        attempt: Attempt,
        code: int | None,
        params: Params,
        detail: str = "",
    ) -> tuple[list[A], int | None]:
        if detail:  # what the alert says went wrong, where the HTTP exchange itself was fine
            attempt = replace(attempt, error_text=detail)
        self.attempts.append((attempt, code, params))
        return actions, code
