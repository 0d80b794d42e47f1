"""``python -m watchbill``: the same command as the ``watchbill`` script (``python -X importtime -m watchbill``)."""

from watchbill.cli import main

main()
