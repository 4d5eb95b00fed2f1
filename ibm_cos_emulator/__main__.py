"""``python -m ibm_cos_emulator``: run the emulator from the command line."""
from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
