"""The sections of a scenario file, one module each; ``simsales.scenario.schema`` puts them
together into ``Scenario`` and holds every check that reads more than one section.

- ``common``: the strict base model, ``Inconsistent``, bounds, safe names, ``GradeValues``
  (used by ``market`` and ``leads``) and the helpers the sections' own checks share.
- ``horizon``: ``horizon``.
- ``team``: ``team``, ``rep`` (with its ``norms``), ``skill`` and ``supervisor``.
- ``market``: ``market`` (territories, alignment, rebalancing).
- ``leads``: ``leads``.
- ``quota``: ``quota``.
- ``pay``: ``pay`` (package, commission, bonus).
- ``behaviour``: ``behaviour``.
- ``workforce``: ``workforce`` (hiring, training, attrition, dismissal, new groups).
- ``changes``: one dated policy change (``changes``).
- ``shocks``: the dated one-off events (``shocks``): their kinds and ``When``.

A section module imports from ``common`` only, never from another section module.
"""
