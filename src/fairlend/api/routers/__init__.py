"""One router per context."""
