"""One valid request per RPC, built on the world of conftest.py, so that
only the caller decides the answer: what the authorisation matrix sends."""

from __future__ import annotations

import itertools

from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.timestamp_pb2 import Timestamp
from yibao.account.v1 import account_pb2 as apb
from yibao.region.v1 import region_pb2 as rpb
from yibao.transfer.v1 import transfer_pb2 as tpb
from yibao.type.v1 import relation_pb2
from yibao.type.v1.verification_pb2 import Verification

from services.gateway.gm import SM2PrivateKey
from tests.cluster import id_number
from tests.hostile.conftest import HOSPITAL, PASSWORD, World

_serial = itertools.count()


def _key(prefix: str) -> str:
    return f"{prefix}-{next(_serial)}"


def valid_request(rpc: str, w: World):
    """The request of ``rpc`` ("service.Method"); ids are fresh where a
    retried call would otherwise be a replay."""
    payer, payee = w.payer, w.payee
    password = Verification(password=PASSWORD)
    parties = apb.GetTransferPartiesRequest(
        payer_id=payer.id, payee_id_number=payee.id_number, payee_name=payee.name, verification=password
    )
    hold = apb.HoldTransferRequest(
        transfer_id=_key("authz"),
        payer_id=payer.id,
        payee_id=payee.id,
        source=apb.ACCOUNT_KIND_PERSONAL,
        amount_fen=100,
    )
    institution = rpb.Institution(
        code="H44010600099", name="测试医院", kind=rpb.INSTITUTION_KIND_HOSPITAL, region_code="440106"
    )
    return {
        "region.GetRegion": lambda: rpb.GetRegionRequest(code="450102"),
        "region.ListRegions": lambda: rpb.ListRegionsRequest(parent_code="450000"),
        "region.CheckRegions": lambda: rpb.CheckRegionsRequest(codes=["450102", "110101"]),
        "region.GetInstitution": lambda: rpb.GetInstitutionRequest(code=HOSPITAL),
        "region.ListInstitutions": lambda: rpb.ListInstitutionsRequest(region_code="450103"),
        "region.SetRegionEnablement": lambda: rpb.SetRegionEnablementRequest(
            code="450300",
            action=rpb.ENABLEMENT_ACTION_ENABLE,
            effective_from=Timestamp(seconds=1_900_000_000),
            reason="test",
            request_id=_key("enable"),
        ),
        "region.CancelEnablementChange": lambda: rpb.CancelEnablementChangeRequest(
            change_id=999_999, reason="t"
        ),
        "region.ListEnablementChanges": lambda: rpb.ListEnablementChangesRequest(code="450102"),
        "region.CreateInstitution": lambda: rpb.CreateInstitutionRequest(institution=institution),
        "region.UpdateInstitution": lambda: rpb.UpdateInstitutionRequest(
            institution=rpb.Institution(code=HOSPITAL, accepts_wallet=True),
            update_mask=FieldMask(paths=["accepts_wallet"]),
        ),
        "region.CreatePlatformKey": lambda: rpb.CreatePlatformKeyRequest(
            platform_key=rpb.PlatformKey(
                app_id=_key("authz-app"),
                province="440000",
                public_key=SM2PrivateKey.generate().public_key().to_hex(),
            )
        ),
        "region.RevokePlatformKey": lambda: rpb.RevokePlatformKeyRequest(
            app_id="authz-app", key_id="0123456789abcdef"
        ),
        "region.ListPlatformKeys": lambda: rpb.ListPlatformKeysRequest(),
        "region.ClaimNonce": lambda: rpb.ClaimNonceRequest(
            app_id="authz-app", nonce=_key("authz-nonce-0000"), timestamp=Timestamp(seconds=1_900_000_000)
        ),
        # A new shard without provinces: refused after authorisation, so the
        # world keeps one account service for every province.
        "region.PutAccountShard": lambda: rpb.PutAccountShardRequest(
            account_shard=rpb.AccountShard(name="authz-shard", target="authz:50052")
        ),
        "region.ListAccountShards": lambda: rpb.ListAccountShardsRequest(),
        "account.RegisterPerson": lambda: apb.RegisterPersonRequest(
            id_number=id_number("450102"),
            name="新人",
            insurance_type=apb.INSURANCE_TYPE_RESIDENT,
            insured_region="450102",
        ),
        "account.UpdateInsurance": lambda: apb.UpdateInsuranceRequest(
            person_id=payer.id, insurance_status=apb.INSURANCE_STATUS_ACTIVE
        ),
        "account.GetPerson": lambda: apb.GetPersonRequest(person_id=payer.id),
        "account.LookupPerson": lambda: apb.LookupPersonRequest(id_number=payer.id_number, name=payer.name),
        "account.GetPayment": lambda: apb.GetPaymentRequest(
            institution_code=HOSPITAL, order_number="no-such-order"
        ),
        "account.GetTransferParties": lambda: parties,
        "account.BatchGetTransferParties": lambda: apb.BatchGetTransferPartiesRequest(requests=[parties]),
        "account.FundPersonalAccount": lambda: apb.FundPersonalAccountRequest(
            person_id=payer.id, amount_fen=100, reference=_key("fund"), period="2026-03"
        ),
        "account.OpenWallet": lambda: apb.OpenWalletRequest(
            person_id=payer.id, place_of_use=payer.region, mobile="13912345678"
        ),
        "account.GetWallet": lambda: apb.GetWalletRequest(person_id=payer.id),
        "account.ChangePlaceOfUse": lambda: apb.ChangePlaceOfUseRequest(
            person_id=payer.id, place_of_use=payer.region
        ),
        "account.ChangeMobile": lambda: apb.ChangeMobileRequest(
            person_id=payer.id, mobile="13912345678", verification=password
        ),
        "account.AttestRelation": lambda: apb.AttestRelationRequest(
            person_id=payer.id, relative_id=payee.id, kind=relation_pb2.RELATION_KIND_PARENT
        ),
        "account.ListRelations": lambda: apb.ListRelationsRequest(person_id=payer.id),
        # A relation with oneself: refused after authorisation (RELATION_TO_SELF).
        "account.LinkRelation": lambda: apb.LinkRelationRequest(
            person_id=payer.id,
            relative=apb.Person(
                id=payer.id,
                masked_id_number="450102********0000",
                name=payer.name,
                insurance_type=apb.INSURANCE_TYPE_RESIDENT,
                insured_region=payer.region,
                insurance_status=apb.INSURANCE_STATUS_ACTIVE,
            ),
            kind=relation_pb2.RELATION_KIND_PARENT,
        ),
        # Someone kept here already: answered as admitted before, nothing moves.
        "account.AdmitPerson": lambda: apb.AdmitPersonRequest(
            person=apb.Person(
                id=payer.id,
                masked_id_number="450102********0000",
                name=payer.name,
                insurance_type=apb.INSURANCE_TYPE_EMPLOYEE,
                insured_region=payer.region,
                insurance_status=apb.INSURANCE_STATUS_ACTIVE,
            ),
            id_hash="0" * 64,
            from_province="110000",
            personal_account_fen=100,
        ),
        # A bill never issued: refused after authorisation (BILL_NOT_ISSUED), nothing moves.
        "account.CollectContribution": lambda: apb.CollectContributionRequest(
            beneficiary_id=payer.id,
            kind=apb.CONTRIBUTION_KIND_LONG_TERM_CARE,
            year=2031,
            payer_id=payee.id,
            payer_province="110000",
            amount_fen=100,
        ),
        # Nobody's relations: nothing lapses.
        "account.LapseRelations": lambda: apb.LapseRelationsRequest(
            person_id="00000000-0000-4000-8000-00000000dead"
        ),
        "account.SetPassword": lambda: apb.SetPasswordRequest(
            person_id=payer.id, current_password=PASSWORD, new_password=PASSWORD
        ),
        "account.VerifyCredential": lambda: apb.VerifyCredentialRequest(
            person_id=payer.id, purpose=apb.VERIFICATION_PURPOSE_TRANSFER, verification=password
        ),
        "account.HoldTransfer": lambda: hold,
        "account.HoldTransfers": lambda: apb.HoldTransfersRequest(holds=[hold]),
        "account.ReceiveTransfer": lambda: apb.ReceiveTransferRequest(transfer_id=_key("none")),
        "account.ReceiveTransfers": lambda: apb.ReceiveTransfersRequest(transfer_ids=[_key("none")]),
        "account.RefundTransfer": lambda: apb.RefundTransferRequest(transfer_id=_key("none")),
        "account.RefundTransfers": lambda: apb.RefundTransfersRequest(transfer_ids=[_key("none")]),
        "account.ListHolds": lambda: apb.ListHoldsRequest(status=apb.HOLD_STATUS_PENDING),
        "account.BatchGetHolds": lambda: apb.BatchGetHoldsRequest(transfer_ids=[w.transfer_id]),
        "account.ChargeWallet": lambda: apb.ChargeWalletRequest(
            institution_code=HOSPITAL,
            order_number=_key("order"),
            person_id=payer.id,
            amount_fen=100,
            verification=Verification(password=PASSWORD),
        ),
        "account.RefundPayment": lambda: apb.RefundPaymentRequest(
            institution_code=HOSPITAL, order_number="no-such-order", amount_fen=100, refund_id=_key("refund")
        ),
        "account.PayContribution": lambda: apb.PayContributionRequest(
            payer_id=payer.id,
            beneficiary_id=payer.id,
            kind=apb.CONTRIBUTION_KIND_RESIDENT_INSURANCE,
            year=2026,
            verification=password,
        ),
        "account.IssueContributionBill": lambda: apb.IssueContributionBillRequest(
            person_id=payer.id, kind=apb.CONTRIBUTION_KIND_LONG_TERM_CARE, year=2026, amount_fen=100
        ),
        "account.ListContributionBills": lambda: apb.ListContributionBillsRequest(person_id=payer.id),
        "account.ListBillEvents": lambda: apb.ListBillEventsRequest(province=payer.province),
        "account.GetBalances": lambda: apb.GetBalancesRequest(person_id=payer.id),
        "account.ListStatementEntries": lambda: apb.ListStatementEntriesRequest(person_id=payer.id),
        "account.ListRelationLapses": lambda: apb.ListRelationLapsesRequest(after_id=0),
        # A credit to nobody: refused after authorisation (PERSON_NOT_FOUND), nothing moves.
        "account.CreditTransfers": lambda: apb.CreditTransfersRequest(
            credits=[
                apb.TransferCredit(
                    transfer_id=_key("credit"),
                    payer_id=payer.id,
                    payer_province="440000",
                    payee_id="00000000-0000-4000-8000-00000000c0de",
                    amount_fen=100,
                )
            ]
        ),
        "account.GetClearingStatement": lambda: apb.GetClearingStatementRequest(month="2026-03"),
        "transfer.SubmitTransfer": lambda: tpb.SubmitTransferRequest(
            payer_id=payer.id,
            source=tpb.TRANSFER_SOURCE_PERSONAL_ACCOUNT,
            payee_name=payee.name,
            payee_id_number=payee.id_number,
            relation=relation_pb2.RELATION_KIND_PARENT,
            amount_fen=100,
            verification=password,
            request_id=_key("submit"),
        ),
        "transfer.GetTransfer": lambda: tpb.GetTransferRequest(id=w.transfer_id),
        "transfer.ListTransfers": lambda: tpb.ListTransfersRequest(person_id=payer.id),
        "transfer.GetQuota": lambda: tpb.GetQuotaRequest(person_id=payer.id),
        "transfer.ReceiveTransfer": lambda: tpb.ReceiveTransferRequest(id=w.transfer_id),
        "transfer.DeclineTransfer": lambda: tpb.DeclineTransferRequest(id=w.transfer_id),
        "transfer.StreamTransferEvents": lambda: tpb.StreamTransferEventsRequest(province=payer.province),
        "transfer.ListNotifications": lambda: tpb.ListNotificationsRequest(person_id=payer.id),
        "transfer.GetSettlementStatement": lambda: tpb.GetSettlementStatementRequest(month="2026-03"),
    }[rpc]()
