"""Which webhook an inbound text gets: the number's SmsUrl, its service's InboundRequestUrl,
or none (dropped), as :func:`telephonist.domain.services.inbound_route` decides."""

from __future__ import annotations

from typing import Any

from telephonist.domain.services import (
    DEFAULT_CONFIG,
    InboundRoute,
    InboundWebhook,
    inbound_route,
)

NUMBER = {
    "sms_url": "https://app.test/number",
    "sms_method": "GET",
    "sms_fallback_url": "https://app.test/number-fallback",
    "sms_fallback_method": "POST",
}
NUMBER_HOOK = InboundWebhook(
    "https://app.test/number", "GET", "https://app.test/number-fallback", "POST"
)


def service(**settings: Any) -> dict[str, Any]:
    return {**DEFAULT_CONFIG, **settings}


def test_a_number_in_no_pool_uses_its_own_sms_url() -> None:
    assert inbound_route(NUMBER, None) == InboundRoute(NUMBER_HOOK)


def test_a_number_with_no_sms_url_and_no_service_is_stored_without_a_webhook() -> None:
    assert inbound_route({"sms_url": ""}, None) == InboundRoute(None)


def test_the_service_url_wins_with_its_own_method_and_fallback() -> None:
    settings = service(
        inbound_request_url="https://app.test/service",
        inbound_method="GET",
        fallback_url="https://app.test/service-fallback",
        fallback_method="GET",
    )
    assert inbound_route(NUMBER, settings) == InboundRoute(
        InboundWebhook(
            "https://app.test/service", "GET", "https://app.test/service-fallback", "GET"
        )
    )


def test_the_service_url_without_a_fallback_has_none() -> None:
    settings = service(inbound_request_url="https://app.test/service")
    route = inbound_route(NUMBER, settings)
    assert route.webhook == InboundWebhook("https://app.test/service", "POST", None, "POST")


def test_a_service_with_no_inbound_url_drops_even_with_a_number_url() -> None:
    assert inbound_route(NUMBER, service()) == InboundRoute(None, dropped=True)


def test_use_inbound_webhook_on_number_gives_the_number_url_back() -> None:
    settings = service(
        inbound_request_url="https://app.test/service", use_inbound_webhook_on_number=True
    )
    assert inbound_route(NUMBER, settings) == InboundRoute(NUMBER_HOOK)
    # ... and it does not drop, even when the service has no inbound URL.
    on_number = service(use_inbound_webhook_on_number=True)
    assert inbound_route(NUMBER, on_number) == InboundRoute(NUMBER_HOOK)
    assert inbound_route({"sms_url": ""}, on_number) == InboundRoute(None)
