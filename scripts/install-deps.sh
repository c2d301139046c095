#!/usr/bin/env bash
# Installs, with apt-get, only what the test suite needs and the machine lacks:
# PostgreSQL and MariaDB server binaries, redis-server, openssl, python3-hvac, and the tools that
# build better-sqlite3 when no prebuilt binary fits. Safe to run again: when nothing
# is missing it changes nothing.
#
# Tests start their own private database instances from these binaries, so this
# script never starts, stops or configures a system service.
set -euo pipefail

log() { printf 'install-deps: %s\n' "$*"; }

# /usr/sbin is not on a normal user's PATH, and mariadbd lives there.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

missing=()

have_cmd() { command -v "$1" >/dev/null 2>&1; }

# Debian installs PostgreSQL's server programs outside PATH, one folder per major version.
have_postgres_server() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/initdb" && -x "$dir/postgres" ]] && return 0
  done
  have_cmd initdb && have_cmd postgres
}

have_mariadb_server() {
  { have_cmd mariadbd || have_cmd mysqld; } && { have_cmd mariadb-install-db || have_cmd mysql_install_db; }
}

if have_postgres_server; then log "PostgreSQL server: found"; else missing+=(postgresql); fi
if have_mariadb_server; then log "MariaDB server: found"; else missing+=(mariadb-server); fi
if have_cmd redis-server; then log "redis-server: found"; else missing+=(redis-server); fi
if have_cmd openssl; then log "openssl: found"; else missing+=(openssl); fi
if have_cmd python3; then log "python3: found"; else missing+=(python3); fi
# The hvac client probe (test/hvac-compat.test.ts) runs under Debian's own python3, which
# a version manager's python3 earlier on PATH may hide, so both are asked.
have_hvac() { python3 -c 'import hvac' >/dev/null 2>&1 || /usr/bin/python3 -c 'import hvac' >/dev/null 2>&1; }
if have_hvac; then log "python3-hvac: found"; else missing+=(python3-hvac); fi
if have_cmd make; then log "make: found"; else missing+=(make); fi
# The syslog audit device hands its entries to logger (Debian: bsdutils, normally present).
if have_cmd logger; then log "logger: found"; else missing+=(bsdutils); fi
# The PGP tests make keys and decrypt unseal keys with real GnuPG.
if have_cmd gpg && have_cmd gpg-agent; then log "gpg: found"; else missing+=(gnupg); fi
if have_cmd g++; then log "g++: found"; else missing+=(g++); fi
# initdb and the server are started as the postgres user when the tests run as root;
# setpriv (util-linux) does that without a PAM session or an extra process.
if ! have_cmd setpriv && [[ $(id -u) -eq 0 ]]; then missing+=(util-linux); fi

if [[ ${#missing[@]} -eq 0 ]]; then
  log "nothing to install"
  exit 0
fi

if ! have_cmd apt-get; then
  log "missing: ${missing[*]}; apt-get is not available, install them by hand" >&2
  exit 1
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif have_cmd sudo; then
  as_root=(sudo)
else
  log "missing: ${missing[*]}; not root and no sudo, install them by hand" >&2
  exit 1
fi

# Debian's server packages start their service on install. A policy-rc.d that answers
# 101 ("action forbidden") stops that; add one only for the duration of the install and
# only when the machine has none of its own.
policy=/usr/sbin/policy-rc.d
added_policy=0
cleanup() {
  if [[ $added_policy -eq 1 ]]; then
    "${as_root[@]}" rm -f "$policy"
  fi
}
trap cleanup EXIT
if [[ ! -e $policy ]]; then
  log "adding a temporary $policy so that installing does not start services"
  printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
  "${as_root[@]}" chmod 755 "$policy"
  added_policy=1
fi

log "installing: ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"

# Confirm that what we came for is now present, so a failure shows here and not as a
# puzzling test timeout later.
have_postgres_server || { log "PostgreSQL server binaries still missing" >&2; exit 1; }
have_mariadb_server || { log "MariaDB server binaries still missing" >&2; exit 1; }
have_cmd redis-server || { log "redis-server still missing" >&2; exit 1; }
log "done"
