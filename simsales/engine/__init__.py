"""The calendar of working days, the random streams (the only maker of generators) and
the agenda of dated events run by SimPy."""
