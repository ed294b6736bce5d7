#!/bin/sh
# Patroni's post_bootstrap: runs once, on the node that initialised the
# cluster, with the new primary up; $1 is a superuser connection string.
# Creates the services' roles and databases, as the single server's
# docker-entrypoint-initdb.d does with the same file.
set -eu
exec psql "$1" -v ON_ERROR_STOP=1 -q -f /etc/patroni/init.sql
