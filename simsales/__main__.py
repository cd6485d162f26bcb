"""``python -m simsales`` is the same as the ``simsales`` command."""

from simsales.cli import main

main()
