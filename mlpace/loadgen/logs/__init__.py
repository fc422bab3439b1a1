"""The official LoadGen log files: writers (formats only: no statistics here) and ``read`` (readers)."""
