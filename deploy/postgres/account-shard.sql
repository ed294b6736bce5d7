-- An account shard's own PostgreSQL server (the compose profile `federated`:
-- postgres-gx, postgres-bj): the account service's role and database only.
CREATE ROLE account LOGIN PASSWORD 'account';
CREATE DATABASE account OWNER account;
REVOKE ALL ON DATABASE account FROM PUBLIC;
