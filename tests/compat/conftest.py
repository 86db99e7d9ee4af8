# The programs run in their own processes (test_programs.py); importing them, or the
# helpers that write result files when the process ends, must not happen at collection.
collect_ignore = ["compat_io.py", "run_program.py"]
collect_ignore_glob = ["programs/*.py"]
