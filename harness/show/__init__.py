"""The presentation side: what a person sees of records.

Terminal lines, the replay shell, diff reports. It reads records, never frames, and needs no
torch."""
