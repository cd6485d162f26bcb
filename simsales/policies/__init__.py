"""Policies: small frozen objects that take the team's state and return decisions or pay.

One module per kind, each with a Protocol and a ``make_*`` function that builds the
policy of a validated scenario section: quota, commission, territory (the layout),
hiring, attrition (quits), dismissal, new groups and rebalancing. ``model/`` asks them
for decisions and carries them out. Policies never schedule events and never make random
generators; the one that needs random numbers (the dismissal ranking's tie-break) draws
them from the stream it is given.
"""
