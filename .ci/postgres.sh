#!/usr/bin/env bash
# Prepares a throwaway PostgreSQL 15 + pgvector server for the pgstore
# integration tests and writes its URL to /tmp/fazhi-postgres.url.
#
#   bash .ci/postgres.sh        # install, build pgvector, start, print URL
#   bash .ci/postgres.sh stop   # stop the server (its data stays in /tmp)
#
# Idempotent: every step is skipped when already done, so a second run
# only checks that the server is up. Needs root and Debian's apt only:
# pgvector is built from Debian's own source package (trixie's, as
# bookworm has none), fetched through a private apt configuration so the
# machine's sources and package lists are left untouched.
set -euo pipefail

PG_MAJOR=15
PGBIN=/usr/lib/postgresql/$PG_MAJOR/bin
PG_CONFIG=$PGBIN/pg_config
PORT=54329
DATA=/tmp/fazhi-pgdata
LOG=/tmp/fazhi-pgdata.log
DB=fazhi_test
URL="postgres://postgres@127.0.0.1:$PORT/$DB?sslmode=disable"
URLFILE=/tmp/fazhi-postgres.url
export DEBIAN_FRONTEND=noninteractive

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
as_pg() { runuser -u postgres -- "$@"; }

if [ "${1:-}" = stop ]; then
	if [ -f "$DATA/postmaster.pid" ]; then
		as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop
	fi
	exit 0
fi

# apt_get runs apt-get, waiting for another apt or dpkg to let go of its
# locks rather than failing.
apt_get() {
	local try
	for try in 1 2 3 4 5 6; do
		if apt-get -o DPkg::Lock::Timeout=300 "$@"; then
			return 0
		fi
		log "apt-get $* failed (try $try), retrying"
		sleep 20
	done
	return 1
}

# 1. PostgreSQL and the headers PGXS builds extensions with.
if [ ! -x "$PGBIN/postgres" ] || [ ! -f "$($PG_CONFIG --includedir-server 2>/dev/null || echo /nonexistent)/postgres.h" ] || ! command -v dpkg-source >/dev/null; then
	log "installing postgresql-$PG_MAJOR and postgresql-server-dev-$PG_MAJOR"
	apt_get update -qq
	apt_get install -y -qq --no-install-recommends \
		"postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR" dpkg-dev make gcc xz-utils ca-certificates >/dev/null
fi

# 2. pgvector, built from Debian's source package.
sharedir=$($PG_CONFIG --sharedir)
if [ ! -f "$sharedir/extension/vector.control" ]; then
	# The mirror the machine already uses: the first URI of the main
	# Debian archive in the deb822 sources, else in sources.list.
	mirror=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -vE 'security|nodesource|google' | head -n1 || true)
	if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
		mirror=$(awk '$1=="deb" && $0 !~ /security/ {for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)
	fi
	mirror=${mirror:-http://deb.debian.org/debian}
	log "building pgvector from the trixie source package on $mirror"

	work=$(mktemp -d /tmp/fazhi-pgvector.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	# A private apt state: only a deb-src line, its own lists and cache,
	# so no binary package from trixie can ever be installed by this.
	mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/apt/parts" "$work/src"
	cat >"$work/apt/sources.list" <<EOF
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main
EOF
	aptopts=(
		-o "Dir::Etc::SourceList=$work/apt/sources.list"
		-o "Dir::Etc::SourceParts=$work/apt/parts"
		-o "Dir::State::Lists=$work/apt/lists"
		-o "Dir::Cache=$work/apt/cache"
		-o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
		-o "APT::Sandbox::User=root"
	)
	apt_get "${aptopts[@]}" update -qq
	(cd "$work/src" && apt_get "${aptopts[@]}" source -qq pgvector >/dev/null)
	srcdir=$(find "$work/src" -mindepth 1 -maxdepth 1 -type d -name 'pgvector-*' | head -n1)
	[ -n "$srcdir" ] || { log "apt-get source pgvector unpacked nothing"; exit 1; }
	# with_llvm=no: no JIT bitcode, so clang is not needed at build time.
	make -C "$srcdir" -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG" with_llvm=no OPTFLAGS="" >/dev/null
	make -C "$srcdir" -s PG_CONFIG="$PG_CONFIG" with_llvm=no install >/dev/null
	log "installed pgvector $(sed -n "s/^default_version = '\(.*\)'/\1/p" "$sharedir/extension/vector.control")"
fi

# 3. A throwaway cluster on 127.0.0.1:$PORT, trusting local connections.
if [ ! -f "$DATA/PG_VERSION" ]; then
	rm -rf "$DATA"
	install -d -o postgres -g postgres -m 700 "$DATA"
	as_pg "$PGBIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
status=0
as_pg "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1 || status=$?
if [ "$status" != 0 ]; then
	if [ "$status" = 3 ]; then
		# No server runs: one of an earlier session died with it, and its
		# lock files would stop a new one should their process ids have
		# been taken again.
		rm -f "$DATA/postmaster.pid" "/tmp/.s.PGSQL.$PORT" "/tmp/.s.PGSQL.$PORT.lock"
	fi
	touch "$LOG" && chown postgres:postgres "$LOG"
	# Durability is not wanted from a test server: fsync off keeps it fast.
	if ! as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 120 \
		-o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null; then
		log "the server did not start; its log ends:"
		tail -n 30 "$LOG" >&2
		exit 1
	fi
fi
psql_pg() { as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
if [ "$(psql_pg -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
	psql_pg -d postgres -c "CREATE DATABASE $DB"
fi
psql_pg -d "$DB" -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS vector" >/dev/null

printf '%s\n' "$URL" >"$URLFILE"
log "ready: $URL (also in $URLFILE)"
echo "$URL"
