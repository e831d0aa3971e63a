"""Clients for the upstream services this one calls, one small class each."""
