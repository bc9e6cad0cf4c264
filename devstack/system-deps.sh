#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the demo and the tests need, only when missing:
# a PostgreSQL server with plpython3u (for sql/compat/aws_lambda.sql) and Node.js (CDK synth).
set -euo pipefail

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

pg_major() {
    # The newest PostgreSQL server installed from Debian's packages, if any.
    ls -1 /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1
}

missing=()
major=$(pg_major)
if [ -z "$major" ] || [ ! -x "/usr/lib/postgresql/$major/bin/postgres" ]; then
    missing+=(postgresql postgresql-contrib)
fi
if [ -n "$major" ] && [ ! -f "/usr/lib/postgresql/$major/lib/plpython3.so" ]; then
    missing+=("postgresql-plpython3-$major")
fi
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)

if [ ${#missing[@]} -gt 0 ]; then
    echo "system-deps: installing ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# A server installed just now: its plpython3u comes in a second step, once the major is known.
major=$(pg_major)
if [ ! -f "/usr/lib/postgresql/$major/lib/plpython3.so" ]; then
    echo "system-deps: installing postgresql-plpython3-$major"
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "postgresql-plpython3-$major" >/dev/null
fi
