#!/usr/bin/env bash
# Prosody for the server benchmark: Debian's package, loopback only, its own data directory.
#   bench/server/install-prosody.sh install              apt-get install prosody + the Lua SQLite driver
#   bench/server/install-prosody.sh run DIR PORT [CORE]   write DIR/prosody.cfg.lua and exec Prosody in the
#                                                         foreground as user prosody (setpriv keeps the fd
#                                                         limit, runuser would not), pinned to CORE
# The configuration is written from scratch, so Debian's mod_limits (10 kb/s per client) is never
# loaded; it is also listed in modules_disabled. PLAIN over plain TCP is allowed because the generator
# is on loopback; storage is SQLite (durable offline messages), accounts are internal_plain so the
# bench can seed them straight into the SQL table.
# Group fan-out runs over Multi-User Chat (XEP-0045): Prosody's own mod_muc as the component
# conference.localhost. muc_room_locking = false makes a room usable as soon as its first occupant
# joins (no instant-room configuration round trip); muc_room_cache_size is raised from its default of
# 100 live rooms, because the bench holds 110 (100 of 10 occupants, 10 of 100) and a full cache would
# swap rooms to storage mid-run. Everything else is Prosody's default room configuration (history
# kept in memory, 20 messages; the bench's joins ask for none of it). mod_muc_limits, the MUC rate
# limiter, is a community module that the Debian package does not ship, so nothing throttles rooms.
set -euo pipefail

cmd=${1:-install}

install() {
  if ! command -v prosody >/dev/null || ! dpkg -s lua-dbi-sqlite3 >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    # Do not let the package's init script start a system-wide Prosody.
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    apt-get install -y --no-install-recommends prosody lua-dbi-sqlite3 >/dev/null
    rm -f /usr/sbin/policy-rc.d
  fi
  dpkg-query -W -f='prosody ${Version}\n' prosody
}

run() {
  local dir=$1 port=$2 core=${3:-0}
  mkdir -p "$dir/data"
  cat >"$dir/prosody.cfg.lua" <<CFG
-- Written by bench/server/install-prosody.sh
pidfile = "$dir/prosody.pid"
data_path = "$dir/data"
log = { warn = "$dir/prosody.log" }
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { $port }
s2s_ports = { }
http_ports = { }
https_ports = { }
admin_interfaces = { }
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "posix" }
modules_disabled = { "limits"; "s2s"; "s2s_auth_certs" }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
storage = "sql"
sql = { driver = "SQLite3", database = "prosody.sqlite" }
network_settings = { read_size = 65536 }
VirtualHost "localhost"
Component "conference.localhost" "muc"
  muc_room_locking = false
  muc_room_cache_size = 1000
  restrict_room_creation = false
CFG
  chown -R prosody:prosody "$dir"
  exec taskset -c "$core" setpriv --reuid=prosody --regid=prosody --init-groups \
    prosody -F --config "$dir/prosody.cfg.lua"
}

case "$cmd" in
  install) install ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 install | run DIR PORT [CORE]" >&2; exit 2 ;;
esac
