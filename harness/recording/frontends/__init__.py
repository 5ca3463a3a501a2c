"""The recording process's front ends: its entry point (`entry/harness_recorder.py` -> `child`),
which prints the run as it goes, and the interactive debugger. They are the only modules of the
recording side that talk to the terminal (through `harness/show/`); the engine, the backends,
the values, the session and the diagnosis print nothing, as bdb leaves printing to pdb.
"""
