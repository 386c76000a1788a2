"""Sinks: where pipeline mutations go."""
