"""Loopback fake servers used by tests (never the internet)."""
