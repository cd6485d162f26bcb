"""Records, tidy tables, KPIs and summaries."""
