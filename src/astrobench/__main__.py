"""`python -m astrobench` is the same as the `astrobench` command."""

from astrobench.cli import main

if __name__ == "__main__":
    main()
