"""Policies: small objects that take the team's state and return decisions or pay.

They never schedule events or draw random numbers; ``model/`` calls them.
"""
