"""Who may use the national person index (R20), in one place.

Services only: the account shards (a registration claims its identity; a
move of insurance to another province moves it) and whatever routes to
them (finding a payee's person and province from an ID number's hash,
locating persons by id). Every other role is refused (PERMISSION_DENIED),
the same whether the identity asked about exists or not; a call without a
token is UNAUTHENTICATED. No caller has a scope here, so no use case
narrows further: ``METHODS`` is the whole matrix, enforced by the
interceptor before a use case runs."""

from __future__ import annotations

from services.kernel.auth import Access, Role

_SERVICES = Access.only(Role.SERVICE)
METHODS = {
    "ClaimIdentity": _SERVICES,
    "FindIdentity": _SERVICES,
    "LocatePersons": _SERVICES,
    "MoveIdentity": _SERVICES,
}
