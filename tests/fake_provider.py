"""The fake OpenAI-compatible provider (it lives in ``bridge.demo``: ``o-switcher demo`` uses it too).

    python tests/fake_provider.py --port 0 --script FILE
"""

from bridge.demo.fake_provider import *  # noqa: F403
from bridge.demo.fake_provider import __all__, main  # noqa: F401

if __name__ == "__main__":
    raise SystemExit(main())
