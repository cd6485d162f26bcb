"""The event log a replication keeps when its history is wanted (``simulate(...,
history=True)``): one row per record batch, call batch, new lead, touch, entry and close,
from which ``simsales.history.export`` writes a CRM activity table. Off by default: a
plain run logs nothing and pays for nothing but one branch per logged place."""

from __future__ import annotations

# Fields of an event row (int64), and its value (float: a deal's value).
EVENT_FIELDS = ("day", "kind", "rep", "lead", "territory", "a", "b", "c")
EV_DAY, EV_KIND, EV_REP, EV_LEAD, EV_TERR, EV_A, EV_B, EV_C = range(len(EVENT_FIELDS))
# Kinds, and what a, b and c hold:
#   records       a rep's evening prospect records: a = records, b = interested
#   calls         a rep's appointment calls: a = calls, b = visits booked, c = interested
#                 prospects left uncalled who cool off
#   phone_signed  an own prospect signed on the appointment call (value: the deal)
#   lead          a new lead row: a = source, b = grade (lead: its id)
#   touch         a touch of a lead: a = 0 call, 1 first visit, 2 follow-up; b = outcome
#                 (kernel STAY, SIGNED, LOST, DISCARDED)
#   entered       a first visit that entered the lead into the CRM: b = grade
#   closed        a lead signed or lost: a = outcome (value: the deal); rep -1 = the pool
EVENT_KINDS = ("records", "calls", "phone_signed", "lead", "touch", "entered", "closed")
E_RECORDS, E_CALLS, E_PHONE_SIGNED, E_LEAD, E_TOUCH, E_ENTERED, E_CLOSED = range(len(EVENT_KINDS))
