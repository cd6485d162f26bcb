"""Experiments: many replications of scenarios, and what is built on them.

``runs`` (run, compare, run_many, run_until_precise), ``executors`` (in this process, a
kept pool of local workers, a Dask cluster), ``store`` (a results folder that checks
itself), ``results`` (the tidy tables and their summaries), ``sweeps``, ``sensitivity``,
``calibration`` and ``memory`` (refusing a run that would not fit). The public names are
also on ``simsales`` itself: ``simsales.run``, ``simsales.compare``, ``simsales.sweep``, ...
"""
