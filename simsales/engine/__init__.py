"""Calendar, random streams and the simulation of one replication."""
