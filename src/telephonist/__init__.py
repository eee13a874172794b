"""telephonist: a self-hosted, Twilio-compatible communications platform.

The public surface is deliberately small: build an app with :func:`create_app` from
:class:`Settings`; everything a client sees is Twilio's REST contract.
"""

from telephonist.app import create_app
from telephonist.errors import TelephonistError, TwilioError
from telephonist.settings import Settings

__all__ = ["Settings", "TelephonistError", "TwilioError", "create_app"]
__version__ = "0.1.0"
