"""What ``o-switcher demo`` and the end-to-end tests share: a fake provider, the real OpenCode
binary, and an isolated sandbox to run it in."""
