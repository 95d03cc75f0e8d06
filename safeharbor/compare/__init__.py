"""Side-by-side comparison of a reference and an upload, for the reviewer who decides."""
