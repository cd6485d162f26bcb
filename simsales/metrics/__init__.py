"""The ledger of a replication as tidy tables, hiring-class KPIs, summaries, paired
comparisons, and the metric catalogue."""
