"""Paging: who is told about an open incident, through what and when, sent exactly once per step.

``plan`` is escalation as a pure function (policy, incident, organisation, now -> the notifications due and
the steps that reach nobody); ``notify`` sends through apprise, resolving secrets only at send time and
scrubbing them from everything it returns; ``run`` holds the steps every path shares and the fallback for a
plain folder (records paged and acknowledged in their files). No machine writes to the base branch: sends
are claimed before they go out and recorded after, in each incident's ``journal`` on the data branch
(``claims``), and ``branches`` also records them on the incident branch of a record the probes opened that
still waits on its pull request, so an outage never waits for a merge. ``usecases`` ties these into the calls
behind ``escalate simulate``, ``escalate run`` and ``ack``, for the CLI, workflows and comment handlers alike.
"""
