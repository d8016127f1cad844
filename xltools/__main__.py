"""``python -m xltools``: the command line (guarded, so that a worker process started by spawn does not run it)."""

from xltools.cli import main

if __name__ == "__main__":
    main()
