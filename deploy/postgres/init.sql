-- One PostgreSQL server for the local cluster, one role and one database per
-- service: each service owns its data and cannot read the others'.
CREATE ROLE region LOGIN PASSWORD 'region';
CREATE ROLE account LOGIN PASSWORD 'account';
CREATE ROLE transfer LOGIN PASSWORD 'transfer';
CREATE DATABASE region OWNER region;
CREATE DATABASE account OWNER account;
CREATE DATABASE transfer OWNER transfer;
REVOKE ALL ON DATABASE region, account, transfer FROM PUBLIC;
-- The compose profile `federated` (docs/sharding.md): the national person
-- index, and the database of the transfer service that routes by the shard
-- map (its account shards have servers of their own: account-shard.sql).
CREATE ROLE index LOGIN PASSWORD 'index';
CREATE ROLE transfer_fed LOGIN PASSWORD 'transfer_fed';
CREATE DATABASE index OWNER index;
CREATE DATABASE transfer_fed OWNER transfer_fed;
REVOKE ALL ON DATABASE index, transfer_fed FROM PUBLIC;
