"""Graven's benchmarks: printed figures beside raw Ray, never timed assertions."""
