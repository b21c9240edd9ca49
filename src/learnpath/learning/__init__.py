"""Learning with a roadmap: the tutor, notes, spaced reviews and the reminder calendar.

These services sit between the entry points (API, web UI, CLI) and the store, agents and
domain: each entry point parses its input, calls one function here and renders the result.
"""
