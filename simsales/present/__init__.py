"""What people see: plots (``plotting``), the forwardable HTML report (``report``) and
the text tables the CLI prints (``text``). Labels, units and formats come from the
metric catalogue (``simsales.metrics.catalogue``)."""
