"""The simulated carrier: virtual handsets for every number no account owns."""
