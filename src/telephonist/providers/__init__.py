"""Carriers behind one protocol: the simulator is a provider like any other."""
