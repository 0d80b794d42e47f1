"""Real local servers, organisation factories and git helpers that the tests share (pre-commit's testing/ package)."""
