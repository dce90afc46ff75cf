"""govhall: smart government service halls for a whole city."""

__version__ = "0.1.0"
