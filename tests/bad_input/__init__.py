"""Bad-input suite: see ``harness.py`` for what a case is and how to add a family."""
