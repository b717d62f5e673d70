"""Audio sources, sinks and file I/O."""
