"""Plain values shared by every layer: no I/O, no Discord, no SQL."""
