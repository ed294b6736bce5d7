"""Who may do what with persons, wallets and money (R20), in one place.

Two layers: ``METHODS`` names the roles each RPC admits (the interceptor
refuses any other role before a use case runs), and the functions below
narrow an admitted caller to what is theirs. The matrix:

- a citizen acts on themselves only: their wallet, password, mobile,
  balances, statement, bills, relatives, contributions they pay;
- a provincial platform on persons insured in its province only: registers
  and updates them, attests relations, funds personal accounts, issues
  bills, changes a mobile at its counter, follows its province's bills;
  looking up anyone else is NOT_FOUND, as about nobody;
- an institution reads and moves only its own payments;
- services (the transfer service) read persons and money, and alone hold,
  receive and refund transfers;
- the administrator manages regions, not persons: nothing here.

A refusal never tells whether the person exists (PERMISSION_DENIED either way)."""

from __future__ import annotations

from services.account.domain.errors import person_not_found
from services.account.domain.persons import Person
from services.kernel.auth import Access, Principal, Role, not_for_role
from services.kernel.errors import permission_denied

# Who may act on a person, by what is at stake (also the use cases' own check).
OWNER = (Role.CITIZEN,)
PLATFORM = (Role.PROVINCE,)
OWNER_OR_PLATFORM = (Role.CITIZEN, Role.PROVINCE)
MONEY_READERS = (Role.CITIZEN, Role.SERVICE)
PERSON_READERS = (Role.CITIZEN, Role.PROVINCE, Role.SERVICE)

_SERVICE_ONLY = Access.only(Role.SERVICE)
_OWNER = Access.only(*OWNER)
_PLATFORM = Access.only(*PLATFORM)
_MONEY_READERS = Access.only(*MONEY_READERS)
_PERSON_READERS = Access.only(*PERSON_READERS)
_INSTITUTION = Access.only(Role.INSTITUTION)
METHODS = {
    "RegisterPerson": _PLATFORM,
    "UpdateInsurance": _PLATFORM,
    "GetPerson": _PERSON_READERS,
    "LookupPerson": Access.only(Role.PROVINCE, Role.SERVICE),
    "GetTransferParties": _SERVICE_ONLY,
    "BatchGetTransferParties": _SERVICE_ONLY,
    "FundPersonalAccount": _PLATFORM,
    "OpenWallet": _OWNER,
    "GetWallet": _MONEY_READERS,
    "ChangePlaceOfUse": _OWNER,
    "ChangeMobile": Access.only(*OWNER_OR_PLATFORM),
    "AttestRelation": _PLATFORM,
    "ListRelations": _PERSON_READERS,
    "LinkRelation": _SERVICE_ONLY,  # R24: the attesting shard, to the relative's
    "LapseRelations": _SERVICE_ONLY,  # R24: a lapse followed from another shard's feed
    "AdmitPerson": _SERVICE_ONLY,  # R24: a person moving here, from the shard they leave
    "CollectContribution": _SERVICE_ONLY,  # R24: a bill here paid from a wallet kept elsewhere
    "SetPassword": _OWNER,
    "VerifyCredential": _SERVICE_ONLY,
    "HoldTransfer": _SERVICE_ONLY,
    "HoldTransfers": _SERVICE_ONLY,
    "ReceiveTransfers": _SERVICE_ONLY,
    "ReceiveTransfer": _SERVICE_ONLY,
    "RefundTransfer": _SERVICE_ONLY,
    "RefundTransfers": _SERVICE_ONLY,
    "ListHolds": _SERVICE_ONLY,  # R22: the reconciler
    "BatchGetHolds": _SERVICE_ONLY,
    "ChargeWallet": _INSTITUTION,
    "RefundPayment": _INSTITUTION,
    "GetPayment": _INSTITUTION,
    "PayContribution": _OWNER,
    "IssueContributionBill": _PLATFORM,
    "ListContributionBills": _PERSON_READERS,
    "ListBillEvents": _PLATFORM,
    "GetBalances": _MONEY_READERS,
    "ListStatementEntries": _MONEY_READERS,
    "ListRelationLapses": _SERVICE_ONLY,
    "CreditTransfers": _SERVICE_ONLY,  # R24: the second leg, in the payee's shard
    "GetClearingStatement": Access.only(Role.SERVICE, Role.ADMIN),  # R24, R19a
}


async def person_for(
    caller: Principal, repo, person_id: str, roles: tuple[Role, ...], *, for_update: bool = False
) -> Person:
    """The person the caller acts on, if its role (among ``roles``) and scope
    allow: a citizen only themselves, a province only persons insured in it,
    services anyone."""
    if caller.role not in roles:
        raise not_for_role(caller, roles)
    if caller.role is Role.CITIZEN and caller.person_id != person_id:
        raise permission_denied("a citizen acts only on themselves", scope="own_person")
    person = await repo.person(person_id, for_update=for_update) if person_id else None
    if caller.role is Role.PROVINCE and (person is None or person.province != caller.province):
        raise permission_denied(
            "a platform acts only on persons insured in its province", scope="own_province"
        )
    if person is None:
        raise person_not_found(person_id)
    return person


def may_know_of(caller: Principal, person: Person) -> bool:
    """A platform knows only of persons insured in its province (anyone else
    is answered as if unknown); services of anyone."""
    return caller.role is not Role.PROVINCE or person.province == caller.province


def lookup_needs_name(caller: Principal) -> bool:
    """A service looks a person up by ID number and name; a platform, which
    knows its insured, by ID number alone."""
    return caller.role is not Role.PROVINCE


def require_platform_of(caller: Principal, province: str) -> None:
    """The platform of ``province``, and no one else."""
    if caller.role is not Role.PROVINCE or caller.province != province:
        raise permission_denied("only the platform of this province", scope="own_province")


def require_institution(caller: Principal, institution_code: str) -> None:
    """An institution charges, refunds and reads its own payments only."""
    if caller.institution != institution_code:
        raise permission_denied("an institution acts on its own orders only", scope="own_institution")


def proves_with_credential(caller: Principal) -> bool:
    """R7: a citizen changing their own settings proves it with a credential;
    their platform verified them at its counter."""
    return caller.role is Role.CITIZEN
