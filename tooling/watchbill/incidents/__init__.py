"""Incidents as people handle them: identity, operations, publishing as a pull request, and intake.

``ids`` is an incident's identity (``INC-2026-0007``: its record path, its branch, the next free number);
``branches`` reads records where they stand on incident branches before a merge (used by the probe
lifecycle and paging as well); ``ops`` holds the pure operations a person asks for (declare, update,
assign, resolve, postmortem) as new records or :class:`~watchbill.incidents.ops.RecordEdit` values;
``publish`` pushes an edit to the incident's branch and opens its pull request; ``intake`` reads a
submitted issue form. ``usecases`` ties them into the verbs the CLI, a workflow step or a pull-request
comment handler call, so each exists once and none of them lives in ``cli/``.
"""
