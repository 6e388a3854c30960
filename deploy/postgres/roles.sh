#!/bin/sh
# The voucher database's two roles, made by the superuser when the cluster is first
# initialised (the postgres image runs /docker-entrypoint-initdb.d/*.sh once):
#   voucher_owner  owns the database and its tables; only `voucher-service migrate` uses it
#   voucher_app    the API and the jobs; it owns nothing, and `migrate` grants it DML
#                  (insert-only on the append-only tables: voucher_service/db/roles.py)
# Neither is a superuser, nor may create roles or databases. docs/operations.md gives the
# same statements for a managed PostgreSQL.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner_password="$VOUCHER_OWNER_PASSWORD" -v app_password="$VOUCHER_APP_PASSWORD" <<'SQL'
CREATE ROLE voucher_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE voucher_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE voucher OWNER voucher_owner;
REVOKE ALL ON DATABASE voucher FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE voucher TO voucher_app;
SQL
