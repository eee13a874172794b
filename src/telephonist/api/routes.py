"""The route table: one line per resource and method."""

from __future__ import annotations

from starlette.routing import Route

from telephonist.api import (
    a2p,
    accounts,
    applications,
    calls,
    handset_calls,
    lookups,
    messages,
    notifications,
    numbers,
    opt_outs,
    recordings,
    services,
    short_codes,
    simulator,
    system,
    trusthub,
)

A = "/2010-04-01/Accounts/{account_sid}"
S = "/telephonist/v1"
V = "/v1/Services"
U = "/v1/Services/{service_sid}/Compliance/Usa2p"
B = "/v1/a2p/BrandRegistrations"

routes = [
    # Starlette tries routes in order: the hottest one goes first.
    Route(f"{A}/Messages.json", messages.create_message, methods=["POST"]),
    Route("/healthz", system.health, methods=["GET"]),
    Route("/2010-04-01/Accounts.json", accounts.list_accounts, methods=["GET"]),
    Route("/2010-04-01/Accounts.json", accounts.create_account, methods=["POST"]),
    Route("/2010-04-01/Accounts/{sid}.json", accounts.fetch_account, methods=["GET"]),
    Route("/2010-04-01/Accounts/{sid}.json", accounts.update_account, methods=["POST"]),
    Route(f"{A}/Keys.json", accounts.list_keys, methods=["GET"]),
    Route(f"{A}/Keys.json", accounts.create_key, methods=["POST"]),
    Route(f"{A}/Keys/{{sid}}.json", accounts.fetch_key, methods=["GET"]),
    Route(f"{A}/Keys/{{sid}}.json", accounts.update_key, methods=["POST"]),
    Route(f"{A}/Keys/{{sid}}.json", accounts.delete_key, methods=["DELETE"]),
    Route(f"{A}/Messages.json", messages.list_messages, methods=["GET"]),
    Route(f"{A}/Messages/{{sid}}.json", messages.fetch_message, methods=["GET"]),
    Route(f"{A}/Messages/{{sid}}.json", messages.update_message, methods=["POST"]),
    Route(f"{A}/Messages/{{sid}}.json", messages.delete_message, methods=["DELETE"]),
    Route(f"{A}/Messages/{{message_sid}}/Media.json", messages.list_media, methods=["GET"]),
    Route(
        f"{A}/Messages/{{message_sid}}/Media/{{sid}}.json", messages.fetch_media, methods=["GET"]
    ),
    Route(
        f"{A}/Messages/{{message_sid}}/Media/{{sid}}.json",
        messages.delete_media,
        methods=["DELETE"],
    ),
    Route(
        f"{A}/Messages/{{message_sid}}/Media/{{sid}}", messages.media_content_file, methods=["GET"]
    ),
    Route(f"{A}/Calls.json", calls.list_calls, methods=["GET"]),
    Route(f"{A}/Calls.json", calls.create_call, methods=["POST"]),
    Route(f"{A}/Calls/{{sid}}.json", calls.fetch_call, methods=["GET"]),
    Route(f"{A}/Calls/{{sid}}.json", calls.update_call, methods=["POST"]),
    Route(f"{A}/Calls/{{sid}}.json", calls.delete_call, methods=["DELETE"]),
    Route(
        f"{A}/Calls/{{call_sid}}/Recordings.json",
        recordings.list_call_recordings,
        methods=["GET"],
    ),
    Route(
        f"{A}/Calls/{{call_sid}}/Recordings/{{sid}}.json",
        recordings.fetch_call_recording,
        methods=["GET"],
    ),
    Route(
        f"{A}/Calls/{{call_sid}}/Recordings/{{sid}}.json",
        recordings.delete_call_recording,
        methods=["DELETE"],
    ),
    Route(f"{A}/Recordings.json", recordings.list_recordings, methods=["GET"]),
    Route(f"{A}/Recordings/{{sid}}.json", recordings.fetch_recording, methods=["GET"]),
    Route(f"{A}/Recordings/{{sid}}.json", recordings.delete_recording, methods=["DELETE"]),
    # The audio, without credentials: .wav, .mp3 (refused), then the bare URL (a WAV).
    Route(f"{A}/Recordings/{{sid}}.wav", recordings.recording_audio, methods=["GET"]),
    Route(f"{A}/Recordings/{{sid}}.mp3", recordings.recording_mp3, methods=["GET"]),
    Route(f"{A}/Recordings/{{sid}}", recordings.recording_audio, methods=["GET"]),
    Route(f"{A}/Applications.json", applications.list_applications, methods=["GET"]),
    Route(f"{A}/Applications.json", applications.create_application, methods=["POST"]),
    Route(f"{A}/Applications/{{sid}}.json", applications.fetch_application, methods=["GET"]),
    Route(f"{A}/Applications/{{sid}}.json", applications.update_application, methods=["POST"]),
    Route(f"{A}/Applications/{{sid}}.json", applications.delete_application, methods=["DELETE"]),
    Route(f"{A}/Notifications.json", notifications.list_notifications, methods=["GET"]),
    Route(f"{A}/Notifications/{{sid}}.json", notifications.fetch_notification, methods=["GET"]),
    Route(f"{S}/Handsets/{{number}}/Messages", simulator.send_from_handset, methods=["POST"]),
    Route(f"{S}/Handsets/{{number}}/Messages", simulator.handset_inbox, methods=["GET"]),
    Route(f"{S}/Handsets/{{number}}/Scenario", simulator.set_rule, methods=["POST"]),
    Route(f"{S}/Handsets/{{number}}/Calls", handset_calls.dial_in, methods=["POST"]),
    Route(f"{S}/Handsets/{{number}}/CallBehavior", handset_calls.set_behavior, methods=["POST"]),
    Route(f"{S}/Calls/{{sid}}/Digits", handset_calls.press, methods=["POST"]),
    Route(f"{S}/Calls/{{sid}}/Speech", handset_calls.speak, methods=["POST"]),
    Route(f"{S}/Calls/{{sid}}/Hangup", handset_calls.hang_up, methods=["POST"]),
    Route(f"{S}/Calls/{{sid}}/Transcript", handset_calls.transcript, methods=["GET"]),
    Route(f"{S}/ShortCodes", short_codes.provision_short_code, methods=["POST"]),
    Route(f"{S}/OptOuts", opt_outs.list_opt_outs, methods=["GET"]),
    Route(f"{S}/Services/{{sid}}/OptOut", opt_outs.fetch_settings, methods=["GET"]),
    Route(f"{S}/Services/{{sid}}/OptOut", opt_outs.update_settings, methods=["POST"]),
    Route(f"{S}/Scenarios", simulator.list_scenarios, methods=["GET"]),
    Route(f"{S}/Scenarios/Rules", simulator.set_rule, methods=["POST"]),
    Route(f"{S}/Scenarios/Rules", simulator.delete_rule, methods=["DELETE"]),
    Route(f"{S}/Clock", simulator.clock, methods=["GET", "POST"]),
    Route(f"{A}/AvailablePhoneNumbers.json", numbers.list_countries, methods=["GET"]),
    Route(f"{A}/AvailablePhoneNumbers/{{country}}.json", numbers.fetch_country, methods=["GET"]),
    Route(
        f"{A}/AvailablePhoneNumbers/{{country}}/{{kind}}.json",
        numbers.search_numbers,
        methods=["GET"],
    ),
    Route(f"{A}/SMS/ShortCodes.json", short_codes.list_short_codes, methods=["GET"]),
    Route(f"{A}/SMS/ShortCodes/{{sid}}.json", short_codes.fetch_short_code, methods=["GET"]),
    Route(f"{A}/SMS/ShortCodes/{{sid}}.json", short_codes.update_short_code, methods=["POST"]),
    Route(f"{A}/IncomingPhoneNumbers.json", numbers.list_numbers, methods=["GET"]),
    Route(f"{A}/IncomingPhoneNumbers.json", numbers.buy_number, methods=["POST"]),
    # IncomingPhoneNumbers/{Sid}.json and IncomingPhoneNumbers/{Local|Mobile|TollFree}.json
    # share one shape; the handlers tell a PN SID from a number kind.
    Route(f"{A}/IncomingPhoneNumbers/{{ref}}.json", numbers.get_by_ref, methods=["GET"]),
    Route(f"{A}/IncomingPhoneNumbers/{{ref}}.json", numbers.post_by_ref, methods=["POST"]),
    Route(f"{A}/IncomingPhoneNumbers/{{ref}}.json", numbers.delete_by_ref, methods=["DELETE"]),
    # Lookups v2: lookups.twilio.com on Twilio, the same path on this one host.
    Route(f"{lookups.PREFIX}/{{phone_number}}", lookups.fetch_phone_number, methods=["GET"]),
    # Before /v1/Services/{sid}: "Usecases" is no service SID.
    Route(f"{V}/Usecases", a2p.service_usecases, methods=["GET"]),
    Route(V, services.list_services, methods=["GET"]),
    Route(V, services.create_service, methods=["POST"]),
    Route(f"{V}/{{sid}}", services.fetch_service, methods=["GET"]),
    Route(f"{V}/{{sid}}", services.update_service, methods=["POST"]),
    Route(f"{V}/{{sid}}", services.delete_service, methods=["DELETE"]),
    Route(f"{V}/{{service_sid}}/PhoneNumbers", services.list_numbers, methods=["GET"]),
    Route(f"{V}/{{service_sid}}/PhoneNumbers", services.add_number, methods=["POST"]),
    Route(f"{V}/{{service_sid}}/PhoneNumbers/{{sid}}", services.fetch_number, methods=["GET"]),
    Route(f"{V}/{{service_sid}}/PhoneNumbers/{{sid}}", services.remove_number, methods=["DELETE"]),
    Route(f"{V}/{{service_sid}}/ShortCodes", services.list_short_codes, methods=["GET"]),
    Route(f"{V}/{{service_sid}}/ShortCodes", services.add_short_code, methods=["POST"]),
    Route(f"{V}/{{service_sid}}/ShortCodes/{{sid}}", services.fetch_short_code, methods=["GET"]),
    Route(
        f"{V}/{{service_sid}}/ShortCodes/{{sid}}", services.remove_short_code, methods=["DELETE"]
    ),
    Route(f"{V}/{{service_sid}}/AlphaSenders", services.list_alpha_senders, methods=["GET"]),
    Route(f"{V}/{{service_sid}}/AlphaSenders", services.add_alpha_sender, methods=["POST"]),
    Route(
        f"{V}/{{service_sid}}/AlphaSenders/{{sid}}", services.fetch_alpha_sender, methods=["GET"]
    ),
    Route(
        f"{V}/{{service_sid}}/AlphaSenders/{{sid}}",
        services.remove_alpha_sender,
        methods=["DELETE"],
    ),
    Route(
        f"{V}/{{service_sid}}/DestinationAlphaSenders",
        services.list_destination_alpha_senders,
        methods=["GET"],
    ),
    Route(
        f"{V}/{{service_sid}}/DestinationAlphaSenders",
        services.add_destination_alpha_sender,
        methods=["POST"],
    ),
    Route(
        f"{V}/{{service_sid}}/DestinationAlphaSenders/{{sid}}",
        services.fetch_destination_alpha_sender,
        methods=["GET"],
    ),
    Route(
        f"{V}/{{service_sid}}/DestinationAlphaSenders/{{sid}}",
        services.remove_destination_alpha_sender,
        methods=["DELETE"],
    ),
    # A2P 10DLC: campaigns (Usecases before {sid}), brands (messaging v1), TrustHub v1.
    Route(f"{U}/Usecases", a2p.campaign_usecases, methods=["GET"]),
    Route(U, a2p.list_campaigns, methods=["GET"]),
    Route(U, a2p.create_campaign, methods=["POST"]),
    Route(f"{U}/{{sid}}", a2p.fetch_campaign, methods=["GET"]),
    Route(f"{U}/{{sid}}", a2p.update_campaign, methods=["POST"]),
    Route(f"{U}/{{sid}}", a2p.delete_campaign, methods=["DELETE"]),
    Route(B, a2p.list_brands, methods=["GET"]),
    Route(B, a2p.create_brand, methods=["POST"]),
    Route(f"{B}/{{sid}}", a2p.fetch_brand, methods=["GET"]),
    Route(f"{B}/{{sid}}", a2p.update_brand, methods=["POST"]),
    Route("/v1/CustomerProfiles", trusthub.list_customer_profiles, methods=["GET"]),
    Route("/v1/CustomerProfiles", trusthub.create_customer_profile, methods=["POST"]),
    Route("/v1/CustomerProfiles/{sid}", trusthub.fetch_customer_profile, methods=["GET"]),
    Route("/v1/CustomerProfiles/{sid}", trusthub.update_customer_profile, methods=["POST"]),
    Route("/v1/CustomerProfiles/{sid}", trusthub.delete_customer_profile, methods=["DELETE"]),
    Route("/v1/TrustProducts", trusthub.list_trust_products, methods=["GET"]),
    Route("/v1/TrustProducts", trusthub.create_trust_product, methods=["POST"]),
    Route("/v1/TrustProducts/{sid}", trusthub.fetch_trust_product, methods=["GET"]),
    Route("/v1/TrustProducts/{sid}", trusthub.update_trust_product, methods=["POST"]),
    Route("/v1/TrustProducts/{sid}", trusthub.delete_trust_product, methods=["DELETE"]),
]
