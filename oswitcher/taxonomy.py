"""The ten error classes O-Switcher knows, and what each one means for routing.

The class, not the HTTP status, decides the action (``docs/resilience-core.md``):

==========================  ==========  ======================================================
class                       retryable   scope of the problem
==========================  ==========  ======================================================
RateLimited                 yes         this key, for seconds to minutes
QuotaExhausted              no          this key, until someone pays or the period resets
Overloaded                  yes         this provider/model, for everyone, short
TransientServerFailure      yes         this target, short
InterruptedExecution        yes         this attempt (the stream died after it started)
AuthFailure                 no          this key, for good (until the user acts)
PermissionFailure           no          this key on this model/region
ModelUnavailable            no          this target's model
ContextOverflow             no          the request itself
InvalidRequest              no          the request itself
==========================  ==========  ======================================================
"""

from __future__ import annotations

import enum

__all__ = ["ErrorClass", "RETRYABLE", "CALLER_FAULT", "KEY_SCOPED", "BREAKER_FAILURES"]


class ErrorClass(enum.StrEnum):
    """One of the ten classes; the value is the class name, as logs and the CLI print it."""

    RateLimited = "RateLimited"
    QuotaExhausted = "QuotaExhausted"
    Overloaded = "Overloaded"
    TransientServerFailure = "TransientServerFailure"
    InterruptedExecution = "InterruptedExecution"
    AuthFailure = "AuthFailure"
    PermissionFailure = "PermissionFailure"
    ModelUnavailable = "ModelUnavailable"
    ContextOverflow = "ContextOverflow"
    InvalidRequest = "InvalidRequest"


#: Classes where sending the same request again later (somewhere) can succeed on its own.
RETRYABLE: frozenset[ErrorClass] = frozenset(
    {
        ErrorClass.RateLimited,
        ErrorClass.Overloaded,
        ErrorClass.TransientServerFailure,
        ErrorClass.InterruptedExecution,
    }
)

#: The request itself is wrong: no other key, target or delay helps.
CALLER_FAULT: frozenset[ErrorClass] = frozenset({ErrorClass.ContextOverflow, ErrorClass.InvalidRequest})

#: Problems of one API key (profile), not of the service: the key rests, the target does not.
KEY_SCOPED: frozenset[ErrorClass] = frozenset(
    {ErrorClass.RateLimited, ErrorClass.QuotaExhausted, ErrorClass.AuthFailure, ErrorClass.PermissionFailure}
)

#: Classes that count as a failure of the target for its circuit breaker: signs of an outage.
#: Key-scoped classes are handled by cooldowns and dead keys (one bad key must not open the
#: circuit of a service that works with the other keys); caller faults say nothing about health.
BREAKER_FAILURES: frozenset[ErrorClass] = frozenset(
    {
        ErrorClass.TransientServerFailure,
        ErrorClass.Overloaded,
        ErrorClass.InterruptedExecution,
        ErrorClass.ModelUnavailable,
    }
)
