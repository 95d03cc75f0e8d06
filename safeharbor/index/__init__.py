"""Search structures shared by the signal types (e.g. the binary Hamming index for PDQ)."""
