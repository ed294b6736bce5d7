"""Transfer service (SPEC R13-R19a): contract in protos/yibao/transfer/v1; implementation to come."""
