"""Model state and behaviour: territories, leads, reps and supervisors.

Nothing here does I/O, plotting or creates random generators: streams come in
from ``simsales.engine``.
"""
