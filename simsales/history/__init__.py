"""A team's own history: its CRM activities and HR roster, read and checked
(``formats``), and written from a simulated run (``export``)."""
