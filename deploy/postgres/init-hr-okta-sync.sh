#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised: the hr-okta-sync state store's database and its own
# user, separate from Temporal's. The password comes from deploy/postgres.env (HR_OKTA_SYNC_DB_PASSWORD).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v pw="$HR_OKTA_SYNC_DB_PASSWORD" <<'SQL'
CREATE USER hr_okta_sync WITH PASSWORD :'pw';
CREATE DATABASE hr_okta_sync OWNER hr_okta_sync;
SQL
