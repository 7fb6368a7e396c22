#!/usr/bin/env bash
# Make sure the servers the test suite starts exist: redis-server + redis-cli (required),
# valkey-server (optional locally, required when CI=true) and prometheus + promtool (optional
# locally; required when CI=true wherever the distribution packages prometheus). Installs with
# apt-get when run as root; otherwise prints the commands to run. Never starts, stops or
# configures a system service: the tests run their own servers on free ports (Debian's prometheus
# package would start its service, so it is installed with services kept from starting).
#
#   scripts/install-servers.sh [--quiet] [--check]
#     --quiet  print nothing when everything is already present
#     --check  never install; exit 1 and list what is missing
#
# Exit codes: 0 ok (valkey / prometheus may be missing locally, with a warning), 1 missing after
# --check or after installing, 2 not root / no apt-get so nothing could be installed, 64 bad usage.
set -euo pipefail

BACKPORTS_FILE=/etc/apt/sources.list.d/cachectl-backports.sources

quiet=0
check=0
for arg in "$@"; do
  case "$arg" in
    --quiet) quiet=1 ;;
    --check) check=1 ;;
    -h | --help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-servers: unknown option: $arg (try --help)" >&2; exit 64 ;;
  esac
done

say() { if [[ $quiet == 0 ]]; then echo "$@"; fi; }
warn() { echo "install-servers: $*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

missing_list() {
  local bin missing=()
  # openssl: the TLS tests make a throwaway CA with it (they are skipped, visibly, without it).
  # prometheus + promtool: the exporter's test scrapes with a real Prometheus (skipped, visibly, without).
  for bin in redis-server redis-cli valkey-server openssl prometheus promtool; do
    have "$bin" || missing+=("$bin")
  done
  echo "${missing[*]}"
}

ALL_PRESENT="redis-server, redis-cli, valkey-server, openssl, prometheus and promtool are installed"

# Fast path (the common case, run before every `npm test`): a few PATH lookups, nothing else.
missing=$(missing_list)
if [[ -z $missing ]]; then
  say "$ALL_PRESENT"
  exit 0
fi
if [[ $check == 1 ]]; then
  warn "missing: $missing"
  exit 1
fi

compute_needs() {
  need_redis=0
  need_valkey=0
  if [[ $missing == *redis-* ]]; then need_redis=1; fi
  if [[ $missing == *valkey-server* ]]; then need_valkey=1; fi
  need_openssl=0
  if [[ $missing == *openssl* ]]; then need_openssl=1; fi
  need_prometheus=0
  if [[ $missing == *prom* ]]; then need_prometheus=1; fi
}
compute_needs
ci=0
[[ ${CI:-} == true ]] && ci=1

# Where valkey comes from: bookworm only has it in backports; newer Debian/Ubuntu have it in main.
os_id=""
os_codename=""
if [[ -r /etc/os-release ]]; then
  os_id=$(. /etc/os-release && echo "${ID:-}")
  os_codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
fi
bookworm=0
[[ $os_id == debian && $os_codename == bookworm ]] && bookworm=1
add_backports=0
if [[ $need_valkey == 1 && $bookworm == 1 ]] &&
  ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  add_backports=1
fi

backports_source() {
  printf '%s\n' \
    'Types: deb' \
    'URIs: http://deb.debian.org/debian' \
    'Suites: bookworm-backports' \
    'Components: main' \
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'
}

# Does apt know a prometheus package here (Debian and Ubuntu do)? Then CI must have it.
prometheus_packaged() { have apt-cache && apt-cache policy prometheus 2>/dev/null | grep -q 'Candidate: [0-9]'; }

# A missing valkey is fatal only in CI (the Valkey tests must run there); so is a missing
# prometheus when the distribution packages it (the exporter's Prometheus test must run there).
required_missing() {
  [[ $need_redis == 1 || ($need_valkey == 1 && $ci == 1) ]] && return 0
  [[ $need_prometheus == 1 && $ci == 1 ]] && prometheus_packaged
}

# What the test suite will skip (with a visible note) because an optional server is missing.
skipped_note() {
  if [[ $need_valkey == 1 ]]; then warn "continuing without Valkey: its tests will be skipped locally (CI installs it)"; fi
  if [[ $need_prometheus == 1 ]]; then warn "continuing without Prometheus: the exporter's Prometheus test will be skipped"; fi
  return 0
}

# --- cannot install: explain how ------------------------------------------------------------
if [[ $(id -u) != 0 ]] || ! have apt-get; then
  if ! have apt-get; then
    warn "missing: $missing. No apt-get here: install Redis >= 7 (redis-server, redis-cli) and" \
      "optionally Valkey >= 8 (valkey-server) with your package manager."
  else
    {
      echo "install-servers: missing: $missing. Run as root (sudo bash ${BASH_SOURCE[0]}) or run:"
      if [[ $add_backports == 1 ]]; then
        echo "  sudo tee $BACKPORTS_FILE >/dev/null <<'EOF'"
        backports_source
        echo "EOF"
      fi
      echo "  sudo apt-get update"
      if [[ $need_redis == 1 ]]; then echo "  sudo apt-get install -y redis-server redis-tools"; fi
      if [[ $need_openssl == 1 ]]; then echo "  sudo apt-get install -y openssl"; fi
      if [[ $need_valkey == 1 && $bookworm == 1 ]]; then
        echo "  sudo apt-get install -y -t bookworm-backports valkey-server"
      elif [[ $need_valkey == 1 ]]; then
        echo "  sudo apt-get install -y valkey-server   # if your release packages it"
      fi
      if [[ $need_prometheus == 1 ]]; then
        echo "  sudo apt-get install -y --no-install-recommends prometheus   # then: sudo systemctl disable --now prometheus (the tests start their own)"
      fi
    } >&2
  fi
  if required_missing; then exit 2; fi
  skipped_note
  exit 0
fi

# --- root with apt-get: install ---------------------------------------------------------------
export DEBIAN_FRONTEND=noninteractive
if [[ $add_backports == 1 ]]; then
  say "adding bookworm-backports (for valkey-server) as $BACKPORTS_FILE"
  backports_source >"$BACKPORTS_FILE"
fi
apt-get update # once, after any source change

if [[ $need_redis == 1 ]]; then
  apt-get install -y redis-server redis-tools
fi
if [[ $need_openssl == 1 ]]; then
  apt-get install -y openssl || warn "could not install openssl: the TLS tests will be skipped"
fi
if [[ $need_valkey == 1 ]]; then
  if [[ $bookworm == 1 ]]; then
    apt-get install -y -t bookworm-backports valkey-server || warn "could not install valkey-server from bookworm-backports"
  elif apt-cache policy valkey-server 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt-get install -y valkey-server || warn "could not install valkey-server"
  else
    warn "this distribution (${os_id:-unknown} ${os_codename:-}) has no valkey-server package; install Valkey >= 8 yourself"
  fi
fi

if [[ $need_prometheus == 1 ]]; then
  # Debian's package enables and starts a prometheus service on :9090; the tests start their own
  # on free ports, so services are kept from starting during this install (policy-rc.d exiting
  # 101), unless the machine already has a policy of its own, which is then left as it is.
  made_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  apt-get install -y --no-install-recommends prometheus || warn "could not install prometheus"
  if [[ $made_policy == 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi
fi

missing=$(missing_list)
if [[ -z $missing ]]; then
  say "$ALL_PRESENT"
  exit 0
fi
warn "still missing after install: $missing"
compute_needs
if required_missing; then exit 1; fi
skipped_note
exit 0
