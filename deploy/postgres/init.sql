-- One PostgreSQL server for the local cluster, one role and one database per
-- service: each service owns its data and cannot read the others'.
CREATE ROLE region LOGIN PASSWORD 'region';
CREATE ROLE account LOGIN PASSWORD 'account';
CREATE ROLE transfer LOGIN PASSWORD 'transfer';
CREATE DATABASE region OWNER region;
CREATE DATABASE account OWNER account;
CREATE DATABASE transfer OWNER transfer;
REVOKE ALL ON DATABASE region, account, transfer FROM PUBLIC;
