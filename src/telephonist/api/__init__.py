"""The Twilio-compatible HTTP surface: auth, form parsing, paging, one module per resource."""
