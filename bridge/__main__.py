"""``python -m bridge``: run the bridge process on stdio (what the shim starts)."""

from bridge.server import main

if __name__ == "__main__":
    raise SystemExit(main())
