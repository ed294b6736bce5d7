"""The expected authorisation matrix (R20), as data: for every RPC, what each
caller gets. A = allowed past authorisation (any answer but
UNAUTHENTICATED / PERMISSION_DENIED), D = PERMISSION_DENIED, U =
UNAUTHENTICATED. "self" and "own" are the row's subject (the payer, or the
payee for what only the payee does); "other" is a stranger, 广东's platform
(a province neither party is in) and another hospital. The five forged
callers (an expired token, a wrong key, alg=none, a wrong audience, a
lifetime of 100 years) claim the service role and get U on every row.
LookupPerson lets every province ask, and answers about a person of another
province NOT_FOUND, exactly as about nobody (tests/account)."""

from __future__ import annotations

COLUMNS = (
    "anonymous",
    "citizen_self",
    "citizen_other",
    "province_own",
    "province_other",
    "institution_own",
    "institution_other",
    "admin",
    "service",
)

# RPC                                 subject  anon self other p_own p_oth i_own i_oth admin service
MATRIX = """
region.GetRegion                      payer    A    A    A     A     A     A     A     A     A
region.ListRegions                    payer    A    A    A     A     A     A     A     A     A
region.CheckRegions                   payer    A    A    A     A     A     A     A     A     A
region.GetInstitution                 payer    A    A    A     A     A     A     A     A     A
region.ListInstitutions               payer    A    A    A     A     A     A     A     A     A
region.SetRegionEnablement            payer    U    D    D     D     D     D     D     A     D
region.CancelEnablementChange         payer    U    D    D     D     D     D     D     A     D
region.ListEnablementChanges          payer    U    D    D     D     D     D     D     A     A
region.CreateInstitution              payer    U    D    D     D     D     D     D     A     D
region.UpdateInstitution              payer    U    D    D     D     D     D     D     A     D
region.CreatePlatformKey              payer    U    D    D     D     D     D     D     A     D
region.RevokePlatformKey              payer    U    D    D     D     D     D     D     A     D
region.ListPlatformKeys               payer    U    D    D     D     D     D     D     A     A
region.ClaimNonce                     payer    U    D    D     D     D     D     D     D     A
region.PutAccountShard                payer    U    D    D     D     D     D     D     A     D
region.ListAccountShards              payer    U    D    D     D     D     D     D     A     A
account.RegisterPerson                payer    U    D    D     A     D     D     D     D     D
account.UpdateInsurance               payer    U    D    D     A     D     D     D     D     D
account.GetPerson                     payer    U    A    D     A     D     D     D     D     A
account.LookupPerson                  payer    U    D    D     A     A     D     D     D     A
account.GetTransferParties            payer    U    D    D     D     D     D     D     D     A
account.BatchGetTransferParties       payer    U    D    D     D     D     D     D     D     A
account.FundPersonalAccount           payer    U    D    D     A     D     D     D     D     D
account.OpenWallet                    payer    U    A    D     D     D     D     D     D     D
account.GetWallet                     payer    U    A    D     D     D     D     D     D     A
account.ChangePlaceOfUse              payer    U    A    D     D     D     D     D     D     D
account.ChangeMobile                  payer    U    A    D     A     D     D     D     D     D
account.AttestRelation                payer    U    D    D     A     D     D     D     D     D
account.ListRelations                 payer    U    A    D     A     D     D     D     D     A
account.LinkRelation                  payer    U    D    D     D     D     D     D     D     A
account.LapseRelations                payer    U    D    D     D     D     D     D     D     A
account.AdmitPerson                   payer    U    D    D     D     D     D     D     D     A
account.CollectContribution           payer    U    D    D     D     D     D     D     D     A
account.SetPassword                   payer    U    A    D     D     D     D     D     D     D
account.VerifyCredential              payer    U    D    D     D     D     D     D     D     A
account.HoldTransfer                  payer    U    D    D     D     D     D     D     D     A
account.HoldTransfers                 payer    U    D    D     D     D     D     D     D     A
account.ReceiveTransfer               payer    U    D    D     D     D     D     D     D     A
account.ReceiveTransfers              payer    U    D    D     D     D     D     D     D     A
account.RefundTransfer                payer    U    D    D     D     D     D     D     D     A
account.RefundTransfers               payer    U    D    D     D     D     D     D     D     A
account.ListHolds                     payer    U    D    D     D     D     D     D     D     A
account.BatchGetHolds                 payer    U    D    D     D     D     D     D     D     A
account.ChargeWallet                  payer    U    D    D     D     D     A     D     D     D
account.RefundPayment                 payer    U    D    D     D     D     A     D     D     D
account.GetPayment                    payer    U    D    D     D     D     A     D     D     D
account.PayContribution               payer    U    A    D     D     D     D     D     D     D
account.IssueContributionBill         payer    U    D    D     A     D     D     D     D     D
account.ListContributionBills         payer    U    A    D     A     D     D     D     D     A
account.ListBillEvents                payer    U    D    D     A     D     D     D     D     D
account.GetBalances                   payer    U    A    D     D     D     D     D     D     A
account.ListStatementEntries          payer    U    A    D     D     D     D     D     D     A
account.ListRelationLapses            payer    U    D    D     D     D     D     D     D     A
account.CreditTransfers               payer    U    D    D     D     D     D     D     D     A
account.GetClearingStatement          payer    U    D    D     D     D     D     D     A     A
transfer.SubmitTransfer               payer    U    A    D     D     D     D     D     D     D
transfer.GetTransfer                  payer    U    A    D     A     D     D     D     D     A
transfer.ListTransfers                payer    U    A    D     D     D     D     D     D     A
transfer.GetQuota                     payer    U    A    D     D     D     D     D     D     A
transfer.ReceiveTransfer              payee    U    A    D     A     D     D     D     D     D
transfer.DeclineTransfer              payee    U    A    D     A     D     D     D     D     D
transfer.StreamTransferEvents         payer    U    D    D     A     D     D     D     D     D
transfer.GetSettlementStatement       payer    U    D    D     A     A     D     D     A     A
transfer.ListNotifications            payer    U    A    D     A     D     D     D     D     A
"""


def expected() -> dict[str, tuple[str, dict[str, str]]]:
    """RPC ("service.Method") -> (subject, {caller: A/D/U})."""
    rows = {}
    for line in MATRIX.strip().splitlines():
        rpc, subject, *cells = line.split()
        assert len(cells) == len(COLUMNS), rpc
        rows[rpc] = (subject, dict(zip(COLUMNS, cells, strict=True)))
    return rows
