"""Pure rules: no I/O, nothing imported from outside domain/."""

API_VERSION = "2010-04-01"
"""The one Twilio API version telephonist speaks: in resources' ``api_version`` and in the
``ApiVersion`` every webhook carries."""
