"""Performance benchmarks: scripts that print their targets and write JSON (not tests)."""
