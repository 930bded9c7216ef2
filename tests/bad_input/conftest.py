"""The bad-input suite shares the top-level fixtures (``torch``); each case runs with a fresh seed."""
