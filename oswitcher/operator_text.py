"""Words the operator surface hands to OpenCode, worded so that OpenCode does not retry them."""

from __future__ import annotations

from collections.abc import Sequence

from oswitcher.give_up import opencode_would_retry

__all__ = ["all_paused_message"]


def all_paused_message(targets: Sequence[str]) -> str:
    """Why a request was refused when every target it may use is paused or draining."""
    message = (
        "O-Switcher stopped this request: every provider it may use is paused by you"
        f" ({', '.join(targets)}). Resume one with `o-switcher resume TARGET` or the switcher-resume tool."
    )
    if opencode_would_retry(message):
        message = (
            "O-Switcher stopped this request: every provider it may use is paused by you."
            " Run `o-switcher status`, then `o-switcher resume TARGET`."
        )
    return message
