"""Signing, delivering and receiving webhooks."""
