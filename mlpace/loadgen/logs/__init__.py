"""Writers of the official LoadGen log files (formats only: no statistics here)."""
