"""Putting Watchbill into an organisation: ``init`` writes a new organisation repository from the skeleton in
``templates/init`` (records, site, workflows, CODEOWNERS, issue forms), so every team starts from files that
validate and from the same reviewed workflows Watchbill's own repository runs; the files shipped verbatim
are also what checks compare the repository's own copies against, so the two cannot drift apart."""
