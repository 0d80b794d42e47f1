"""The organisation's files as files: which model a path holds (``kinds``), reading YAML into data with the
line and column of every value (``loader``), round-trip edits that keep comments and key order (``yamledit``),
and writes a crash cannot leave half done (``atomic``). Everything above works from what these return."""
