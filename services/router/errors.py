"""Every error the account router raises itself, by name: the catalogue of
its AIP-193 reasons (domain ``router.yibao``). A shard's own answer is never
one of these: it is passed on as the shard gave it, in the shard's domain."""

from __future__ import annotations

from services.kernel import errors as kernel
from services.kernel.errors import DomainError

# The reasons, as constants (Reason.X == "X"); the constructors below use them.
Reason = kernel.Reasons("Reason", "METHOD_NOT_ROUTED")


def method_not_routed(method: str, why: str) -> DomainError:
    """A method the router does not pass on while there are shards: the
    shards' own business with the transfer service or with each other."""
    return kernel.failed_precondition(
        Reason.METHOD_NOT_ROUTED,
        f"{method} is not served by the account router: {why}",
        method=method,
    )
