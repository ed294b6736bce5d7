"""Who may do what with regions and institutions (R20), in one place.

The region service guards roles only; no caller has a scope here:

- reading regions, their enablement and institutions: anyone, without a
  token (apps, institutions and the other services all need it);
- enabling or disabling a region, cancelling a scheduled change, creating
  and updating institutions: the national administrator only;
- the history of enablement changes: the administrator, and services;
- provincial platforms' SM2 keys (R25): registered and revoked by the
  administrator, listed by the administrator and services (the gateway);
  nonces claimed by services only (the gateway);
- the account shards' map (R24): kept by the administrator, read by the
  administrator and services (they route by it).

``METHODS`` is what the interceptor enforces before a use case runs;
``require_admin`` repeats it in the use cases that record who acted."""

from __future__ import annotations

from services.kernel.auth import Access, Principal, Role
from services.kernel.errors import permission_denied

_PUBLIC = Access.anyone()
_ADMIN = Access.only(Role.ADMIN)
METHODS = {
    "GetRegion": _PUBLIC,
    "ListRegions": _PUBLIC,
    "CheckRegions": _PUBLIC,
    "GetInstitution": _PUBLIC,
    "ListInstitutions": _PUBLIC,
    "SetRegionEnablement": _ADMIN,
    "CancelEnablementChange": _ADMIN,
    "ListEnablementChanges": Access.only(Role.ADMIN, Role.SERVICE),
    "CreateInstitution": _ADMIN,
    "UpdateInstitution": _ADMIN,
    "CreatePlatformKey": _ADMIN,
    "RevokePlatformKey": _ADMIN,
    "ListPlatformKeys": Access.only(Role.ADMIN, Role.SERVICE),
    "ClaimNonce": Access.only(Role.SERVICE),
    "PutAccountShard": _ADMIN,
    "ListAccountShards": Access.only(Role.ADMIN, Role.SERVICE),
}


def require_admin(caller: Principal) -> None:
    """Only the national administrator changes where the wallet works."""
    if caller.role is not Role.ADMIN:
        raise permission_denied(
            "only the national administrator", roles="admin", caller_role=caller.role.value
        )
