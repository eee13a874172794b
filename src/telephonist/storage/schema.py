"""The tables, in SQLAlchemy Core, one metadata for SQLite and PostgreSQL.

Times are integer microseconds since the epoch (UTC): they sort, compare and index the same on
both dialects, and the API layer renders them as RFC 2822. Alembic migrations under
``migrations/`` must produce exactly this schema; a test compares the two.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

SID = String(34)
MICROS = BigInteger()

accounts = Table(
    "accounts",
    metadata,
    Column("sid", SID, primary_key=True),
    # None for a top-level account; the parent's SID for a subaccount.
    Column("owner_account_sid", SID, ForeignKey("accounts.sid"), nullable=True, index=True),
    Column("friendly_name", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("type", String(8), nullable=False),
    # Kept in clear: webhooks are signed with it (HMAC needs the key itself).
    Column("auth_token", String(32), nullable=False),
    Column("is_default", Boolean, nullable=False, default=False),
    Column("date_created", MICROS, nullable=False),
    Column("date_updated", MICROS, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False, index=True),
    Column("friendly_name", String(64), nullable=False),
    # Only a SHA-256 of the secret: it is shown once at creation and only ever compared.
    Column("secret_sha256", String(64), nullable=False),
    Column("date_created", MICROS, nullable=False),
    Column("date_updated", MICROS, nullable=False),
)

incoming_numbers = Table(
    "incoming_numbers",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False, index=True),
    # Unique: a number belongs to one account at a time.
    Column("phone_number", String(32), nullable=False, unique=True),
    Column("friendly_name", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("iso_country", String(2), nullable=False),
    Column("cap_voice", Boolean, nullable=False),
    Column("cap_sms", Boolean, nullable=False),
    Column("cap_mms", Boolean, nullable=False),
    Column("cap_fax", Boolean, nullable=False),
    Column("address_requirements", String(8), nullable=False),
    Column("origin", String(8), nullable=False),
    # Every configurable field of the IncomingPhoneNumber resource, as Twilio names it.
    Column("config", Text, nullable=False),
    Column("date_created", MICROS, nullable=False),
    Column("date_updated", MICROS, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False),
    Column("direction", String(16), nullable=False),
    Column("from_", String(64), nullable=False),
    Column("to", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(24), nullable=False),
    Column("encoding", String(8), nullable=False),
    Column("num_segments", Integer, nullable=False),
    Column("num_media", Integer, nullable=False),
    Column("error_code", Integer, nullable=True),
    Column("error_message", Text, nullable=True),
    Column("price", String(16), nullable=True),
    Column("price_unit", String(3), nullable=False),
    Column("messaging_service_sid", SID, nullable=True),
    Column("status_callback", Text, nullable=True),
    Column("validity_period", Integer, nullable=False),
    # Request options Twilio accepts; kept so a later stage (and the log) can see them.
    Column("options", Text, nullable=False),
    Column("date_created", MICROS, nullable=False),
    Column("date_updated", MICROS, nullable=False),
    Column("date_sent", MICROS, nullable=True),
    # The carrier that took the message and its reference there (for delivery receipts).
    Column("provider", String(32), nullable=True),
    Column("provider_sid", String(64), nullable=True),
)
# Only the messages a carrier took have a reference: the index holds those alone, so a create
# (and the hand-over that sets it) writes no entry for a message that has none.
Index(
    "ix_messages_provider_sid",
    messages.c.provider_sid,
    sqlite_where=messages.c.provider_sid.is_not(None),
    postgresql_where=messages.c.provider_sid.is_not(None),
)
Index(
    "ix_messages_account_created", messages.c.account_sid, messages.c.date_created, messages.c.sid
)
Index("ix_messages_account_to", messages.c.account_sid, messages.c.to)
Index("ix_messages_account_from", messages.c.account_sid, messages.c.from_)

media = Table(
    "media",
    metadata,
    Column("sid", SID, primary_key=True),
    Column(
        "message_sid",
        SID,
        ForeignKey("messages.sid", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("account_sid", SID, nullable=False),
    Column("content_type", String(128), nullable=False),
    Column("source_url", Text, nullable=True),
    Column("position", Integer, nullable=False),
    Column("date_created", MICROS, nullable=False),
    Column("date_updated", MICROS, nullable=False),
)

# -- Dispatch -------------------------------------------------------------------------------------

tasks = Table(
    "tasks",
    metadata,
    # The durable work queue: sends, delivery receipts, webhooks. A worker leases a due task,
    # does the work, then deletes it in the same transaction that records the outcome.
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("kind", String(16), nullable=False),
    Column("ref", String(64), nullable=False),
    Column("due_at", MICROS, nullable=False),
    Column("payload", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("lease_until", MICROS, nullable=True),
    Column("lease_owner", String(64), nullable=True),
    Column("created_at", MICROS, nullable=False),
    # The worker capacity the task uses (send: carrier hand-overs and timers; webhook).
    Column("lane", String(8), nullable=False, server_default="send"),
    # The account the work is for: one account's backlog can be held to its share.
    Column("partition_key", String(64), nullable=True),
)
Index("ix_tasks_lane_due", tasks.c.lane, tasks.c.due_at)
Index("ix_tasks_ref", tasks.c.ref)

senders = Table(
    "senders",
    metadata,
    # Per-sender throughput: the next instant at which this sender may hand a segment over.
    Column("sender", String(64), primary_key=True),
    Column("next_free", MICROS, nullable=False),
)

carrier_log = Table(
    "carrier_log",
    metadata,
    # What the simulated carrier received: one row per message handed over (unique, so a
    # message can never be handed over twice) and per inbound message sent from a handset.
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("message_sid", SID, nullable=False, unique=True),
    Column("direction", String(8), nullable=False),
    Column("handset", String(32), nullable=False),
    Column("peer", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("num_media", Integer, nullable=False),
    Column("scenario", String(32), nullable=False),
    Column("created_at", MICROS, nullable=False),
)
Index("ix_carrier_log_handset", carrier_log.c.handset, carrier_log.c.id)

scenario_rules = Table(
    "scenario_rules",
    metadata,
    # Simulated-carrier behaviour an account attached to number patterns (glob on E.164): it
    # applies to that account's messages and its subaccounts'. Rules from the settings are not
    # stored here; they apply to every account.
    Column("account_sid", SID, primary_key=True),
    Column("pattern", String(64), primary_key=True),
    Column("scenario", String(32), nullable=False),
    Column("created_at", MICROS, nullable=False),
)

notifications = Table(
    "notifications",
    metadata,
    # Twilio's "alerts": webhook failures and TwiML errors, served as v2010 Notifications.
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    Column("error_code", String(8), nullable=False),
    Column("log", String(1), nullable=False),
    Column("message_text", Text, nullable=False),
    Column("more_info", Text, nullable=False),
    Column("request_method", String(8), nullable=True),
    Column("request_url", Text, nullable=True),
    Column("request_variables", Text, nullable=True),
    Column("response_body", Text, nullable=True),
    Column("response_headers", Text, nullable=True),
    Column("resource_sid", SID, nullable=True),
    Column("date_created", MICROS, nullable=False),
)
Index("ix_notifications_account", notifications.c.account_sid, notifications.c.date_created)

media_content = Table(
    "media_content",
    metadata,
    # The bytes of stored media (fetched outbound MediaUrl, uploaded inbound media).
    Column("media_sid", SID, ForeignKey("media.sid", ondelete="CASCADE"), primary_key=True),
    Column("content", LargeBinary, nullable=False),
)

conversation_cookies = Table(
    "conversation_cookies",
    metadata,
    # The cookies an app set in its answers to one SMS conversation's webhooks (the account and
    # the inbound From/To pair), sent back on that conversation's later webhooks. In the
    # database, so they survive restarts and every worker sees them.
    Column("account_sid", SID, primary_key=True),
    Column("from_", String(64), primary_key=True),
    Column("to", String(64), primary_key=True),
    Column("jar", Text, nullable=False),  # JSON, see telephonist.webhooks.cookies
    # When the last cookie expires: rows past it are dead and may be deleted.
    Column("expires_at", MICROS, nullable=False),
    Column("updated_at", MICROS, nullable=False),
)
Index("ix_conversation_cookies_expires", conversation_cookies.c.expires_at)

applications = Table(
    "applications",
    metadata,
    # v2010 Applications: a named set of voice and messaging URLs numbers can point at.
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False),
    Column("friendly_name", String(64), nullable=True),
    # Every configurable field of the Application resource, as Twilio names it (JSON).
    Column("config", Text, nullable=False),
    Column("date_created", MICROS, nullable=False),
    Column("date_updated", MICROS, nullable=False),
)
Index(
    "ix_applications_account_created",
    applications.c.account_sid,
    applications.c.date_created,
    applications.c.sid,
)

# -- Voice ------------------------------------------------------------------------------------

calls = Table(
    "calls",
    metadata,
    # v2010 Calls. A call is a row advanced by due ``call`` tasks, never a coroutine: its
    # runtime (the TwiML it runs, where it stands, what the handset will do) is ``state``.
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False),
    Column("parent_call_sid", SID, nullable=True),
    Column("direction", String(16), nullable=False),
    Column("from_", String(64), nullable=False),
    Column("to", String(64), nullable=False),
    Column("phone_number_sid", SID, nullable=True),
    Column("status", String(16), nullable=False),
    Column("answered_by", String(24), nullable=True),
    Column("caller_name", String(64), nullable=True),
    Column("forwarded_from", String(64), nullable=True),
    Column("date_created", MICROS, nullable=False),
    Column("date_updated", MICROS, nullable=False),
    Column("start_time", MICROS, nullable=True),
    Column("answered_at", MICROS, nullable=True),
    Column("end_time", MICROS, nullable=True),
    Column("duration", Integer, nullable=True),
    Column("price", String(16), nullable=True),
    Column("price_unit", String(3), nullable=False),
    # What the create asked for (URLs, methods, callbacks, limits), as JSON.
    Column("config", Text, nullable=False),
    # Where the call stands (JSON); ``version`` guards every write of it, so a task run twice
    # (its lease ran out) can never apply its step twice.
    Column("state", Text, nullable=False),
    Column("version", Integer, nullable=False),
)
Index("ix_calls_account_created", calls.c.account_sid, calls.c.date_created, calls.c.sid)
Index("ix_calls_parent", calls.c.parent_call_sid)

call_events = Table(
    "call_events",
    metadata,
    # A call's transcript: what the caller heard and did, in order, at seconds from the answer.
    Column("call_sid", SID, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("at", MICROS, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("detail", Text, nullable=False),
)

call_inputs = Table(
    "call_inputs",
    metadata,
    # Live input for a call not yet taken by its next step: digits, speech, a hang-up from the
    # handset's side, a redirect or hang-up through the API.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_sid", SID, nullable=False, index=True),
    Column("at", MICROS, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("value", Text, nullable=False),
)

call_behaviors = Table(
    "call_behaviors",
    metadata,
    # The simulated carrier's: how a handset (a number or a glob pattern on E.164) answers
    # calls of an account placed to it (JSON: behavior, answer_after, script).
    Column("account_sid", SID, primary_key=True),
    Column("pattern", String(64), primary_key=True),
    Column("behavior", Text, nullable=False),
    Column("date_updated", MICROS, nullable=False),
)

recordings = Table(
    "recordings",
    metadata,
    # v2010 Recordings. Only what describes the audio is stored, never the audio: the WAV is
    # generated from ``audio_micros`` when it is fetched (telephonist.domain.audio).
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False),
    # No foreign key: deleting a call leaves its recordings, which are deleted on their own.
    Column("call_sid", SID, nullable=False),
    Column("status", String(16), nullable=False),
    Column("source", String(32), nullable=False),
    Column("channels", Integer, nullable=False),
    Column("track", String(8), nullable=False),
    Column("start_time", MICROS, nullable=False),
    Column("duration", Integer, nullable=False),  # whole seconds, as the resource shows it
    Column("audio_micros", MICROS, nullable=False),  # the audio's exact length
    Column("price", String(16), nullable=True),
    Column("price_unit", String(3), nullable=False),
    Column("error_code", Integer, nullable=True),
    Column("date_created", MICROS, nullable=False),
    Column("date_updated", MICROS, nullable=False),
)
Index(
    "ix_recordings_account_created",
    recordings.c.account_sid,
    recordings.c.date_created,
    recordings.c.sid,
)
Index("ix_recordings_call", recordings.c.call_sid, recordings.c.date_created, recordings.c.sid)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    # The Idempotency-Key of a create (a telephonist extension) and the resource it made,
    # written in the transaction that stores the resource. A key holds for a day
    # (telephonist.domain.idempotency); older rows name nothing and may be deleted.
    Column("account_sid", SID, primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),  # SHA-256 of the parameters, hex
    Column("resource", String(16), nullable=False),  # Message, Call
    # Null only inside the claiming transaction, before the resource is stored.
    Column("sid", SID, nullable=True),
    Column("created_at", MICROS, nullable=False),
)
Index("ix_idempotency_keys_created", idempotency_keys.c.created_at)

short_codes = Table(
    "short_codes",
    metadata,
    # v2010 SMS/ShortCodes: 5- and 6-digit senders an account leases from carriers (provisioned
    # through the control API; Twilio's API cannot buy them either).
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False),
    # Unique: a short code belongs to one account at a time, in one country.
    Column("short_code", String(8), nullable=False, unique=True),
    Column("friendly_name", String(64), nullable=False),
    Column("iso_country", String(2), nullable=False),
    Column("cap_mms", Boolean, nullable=False),
    # Every configurable field of the ShortCode resource, as Twilio names it (JSON).
    Column("config", Text, nullable=False),
    Column("date_created", MICROS, nullable=False),
    Column("date_updated", MICROS, nullable=False),
)
Index(
    "ix_short_codes_account_created",
    short_codes.c.account_sid,
    short_codes.c.date_created,
    short_codes.c.sid,
)

# -- Messaging Services (messaging v1) --------------------------------------------------------

messaging_services = Table(
    "messaging_services",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False),
    Column("friendly_name", String(64), nullable=False),
    # Every configurable field of the Service resource, as Twilio names it (JSON).
    Column("config", Text, nullable=False),
    Column("date_created", MICROS, nullable=False),
    Column("date_updated", MICROS, nullable=False),
)
Index(
    "ix_messaging_services_account_created",
    messaging_services.c.account_sid,
    messaging_services.c.date_created,
    messaging_services.c.sid,
)

messaging_service_numbers = Table(
    "messaging_service_numbers",
    metadata,
    # A service's sender pool of phone numbers. The number's SID is the key: a number is in
    # at most one service, and the database, not an earlier read, decides a race for it.
    Column("phone_number_sid", SID, ForeignKey("incoming_numbers.sid"), primary_key=True),
    Column("service_sid", SID, ForeignKey("messaging_services.sid"), nullable=False),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False),
    Column("date_created", MICROS, nullable=False),
    Column("date_updated", MICROS, nullable=False),
)
Index(
    "ix_messaging_service_numbers_service",
    messaging_service_numbers.c.service_sid,
    messaging_service_numbers.c.date_created,
    messaging_service_numbers.c.phone_number_sid,
)

messaging_service_alpha_senders = Table(
    "messaging_service_alpha_senders",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("service_sid", SID, ForeignKey("messaging_services.sid"), nullable=False),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False),
    Column("alpha_sender", String(11), nullable=False),
    Column("date_created", MICROS, nullable=False),
    Column("date_updated", MICROS, nullable=False),
)
Index(
    "ix_messaging_service_alpha_senders_service",
    messaging_service_alpha_senders.c.service_sid,
    messaging_service_alpha_senders.c.date_created,
    messaging_service_alpha_senders.c.sid,
)

messaging_service_short_codes = Table(
    "messaging_service_short_codes",
    metadata,
    # A service's short codes, keyed like its numbers: a short code is in at most one service.
    Column("short_code_sid", SID, ForeignKey("short_codes.sid"), primary_key=True),
    Column("service_sid", SID, ForeignKey("messaging_services.sid"), nullable=False),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False),
    Column("date_created", MICROS, nullable=False),
    Column("date_updated", MICROS, nullable=False),
)
Index(
    "ix_messaging_service_short_codes_service",
    messaging_service_short_codes.c.service_sid,
    messaging_service_short_codes.c.date_created,
    messaging_service_short_codes.c.short_code_sid,
)

messaging_service_destination_alpha_senders = Table(
    "messaging_service_destination_alpha_senders",
    metadata,
    # A pool's alpha sender for recipients in one country (``iso_country``, ISO 3166 alpha-2),
    # or, with an empty ``iso_country``, a default one for every country.
    Column("sid", SID, primary_key=True),
    Column("service_sid", SID, ForeignKey("messaging_services.sid"), nullable=False),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False),
    Column("alpha_sender", String(11), nullable=False),
    Column("iso_country", String(2), nullable=False),
    Column("date_created", MICROS, nullable=False),
    Column("date_updated", MICROS, nullable=False),
)
Index(
    "ix_messaging_service_destination_alpha_senders_service",
    messaging_service_destination_alpha_senders.c.service_sid,
    messaging_service_destination_alpha_senders.c.date_created,
    messaging_service_destination_alpha_senders.c.sid,
)

sticky_senders = Table(
    "sticky_senders",
    metadata,
    # The sender a Messaging Service last used for a recipient, so that a conversation keeps
    # one number (the service's ``sticky_sender``).
    Column("service_sid", SID, primary_key=True),
    Column("to", String(64), primary_key=True),
    Column("sender", String(64), nullable=False),
    Column("updated_at", MICROS, nullable=False),
)

# -- A2P 10DLC: TrustHub bundles, brands, campaigns -------------------------------------------

trust_bundles = Table(
    "trust_bundles",
    metadata,
    # Customer profiles and trust products: one shape, told apart by ``kind``.
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False),
    Column("kind", String(16), nullable=False),  # customer_profile, trust_product
    Column("friendly_name", String(255), nullable=False),
    Column("email", String(255), nullable=False),
    Column("policy_sid", SID, nullable=False),
    Column("status_callback", Text, nullable=True),
    Column("status", String(16), nullable=False),
    # When it was last submitted for review (Status=pending-review); null while a draft.
    Column("submitted_at", MICROS, nullable=True),
    Column("valid_until", MICROS, nullable=True),
    Column("errors", Text, nullable=True),  # JSON list, once reviewed
    Column("date_created", MICROS, nullable=False),
    Column("date_updated", MICROS, nullable=False),
)
Index(
    "ix_trust_bundles_account_kind_created",
    trust_bundles.c.account_sid,
    trust_bundles.c.kind,
    trust_bundles.c.date_created,
    trust_bundles.c.sid,
)

brand_registrations = Table(
    "brand_registrations",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False),
    Column("customer_profile_bundle_sid", SID, ForeignKey("trust_bundles.sid"), nullable=False),
    Column("a2p_profile_bundle_sid", SID, ForeignKey("trust_bundles.sid"), nullable=False),
    Column("brand_type", String(16), nullable=False),
    Column("mock", Boolean, nullable=False),
    Column("skip_automatic_sec_vet", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("submitted_at", MICROS, nullable=False),  # created, or resubmitted after FAILED
    Column("identity_status", String(16), nullable=False),
    Column("brand_score", Integer, nullable=True),
    Column("tcr_id", String(16), nullable=True),
    Column("failure_reason", Text, nullable=True),
    Column("brand_feedback", Text, nullable=True),  # JSON list
    Column("errors", Text, nullable=False),  # JSON list
    Column("date_created", MICROS, nullable=False),
    Column("date_updated", MICROS, nullable=False),
)
Index(
    "ix_brand_registrations_account_created",
    brand_registrations.c.account_sid,
    brand_registrations.c.date_created,
    brand_registrations.c.sid,
)

a2p_campaigns = Table(
    "a2p_campaigns",
    metadata,
    Column("sid", SID, primary_key=True),
    Column("account_sid", SID, ForeignKey("accounts.sid"), nullable=False),
    # One campaign per Messaging Service: the unique key, not an earlier read, decides a race.
    Column("messaging_service_sid", SID, ForeignKey("messaging_services.sid"), nullable=False),
    Column("brand_registration_sid", SID, ForeignKey("brand_registrations.sid"), nullable=False),
    Column("config", Text, nullable=False),  # the fields the client gave, as Twilio names them
    Column("campaign_status", String(16), nullable=False),
    Column("submitted_at", MICROS, nullable=False),
    Column("campaign_id", String(16), nullable=True),
    Column("rate_limits", Text, nullable=False),  # JSON object
    Column("errors", Text, nullable=False),  # JSON list
    Column("date_created", MICROS, nullable=False),
    Column("date_updated", MICROS, nullable=False),
    UniqueConstraint("messaging_service_sid", name="uq_a2p_campaigns_service"),
)

opt_outs = Table(
    "opt_outs",
    metadata,
    # A handset that texted an opt-out keyword (STOP) to one of the account's numbers: it is
    # not sent to from that sender scope -- a Messaging Service SID, or a number in E.164 when
    # the number is in no service -- until it texts an opt-in keyword (START).
    Column("account_sid", SID, primary_key=True),
    Column("scope", String(64), primary_key=True),
    Column("recipient", String(64), primary_key=True),
    Column("date_created", MICROS, nullable=False),
)
# A send asks whether its recipient left any of its scopes: read by recipient, not by scope.
Index("ix_opt_outs_recipient", opt_outs.c.account_sid, opt_outs.c.recipient, opt_outs.c.scope)

opt_out_settings = Table(
    "opt_out_settings",
    metadata,
    # A Messaging Service's own opt-out keywords and replies (a telephonist extension: Twilio
    # sets Advanced Opt-Out in its console), as JSON; what it leaves out keeps the default.
    Column("service_sid", SID, primary_key=True),
    Column("account_sid", SID, nullable=False),
    Column("config", Text, nullable=False),
    Column("date_updated", MICROS, nullable=False),
)


a2p_daily_counts = Table(
    "a2p_daily_counts",
    metadata,
    # What a brand's campaigns used of their daily limit to US numbers on one day (days since
    # the epoch at Pacific time, on the server's clock): SMS segments and MMS messages.
    Column("brand_sid", SID, primary_key=True),
    Column("day", Integer, primary_key=True),
    Column("sent", Integer, nullable=False),
)

scheduled_counts = Table(
    "scheduled_counts",
    metadata,
    # How many of an account's messages are ``scheduled`` now, kept as they enter and leave
    # that status: the 35125 limit reads one row instead of counting messages.
    Column("account_sid", SID, ForeignKey("accounts.sid"), primary_key=True),
    Column("scheduled", Integer, nullable=False),
)
