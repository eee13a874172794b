"""Parse (safely) and interpret TwiML."""
