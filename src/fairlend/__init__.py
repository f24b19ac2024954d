"""fairlend: an online-lending platform that cannot harass."""

__version__ = "0.1.0"
