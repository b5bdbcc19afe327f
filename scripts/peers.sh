#!/usr/bin/env bash
# The reference peers: Prometheus and promtool 3.5.3 (the LTS release miniprom follows) and
# Alertmanager 0.33, taken from Debian's unstable suite without touching the system's apt setup:
# a private sources list, package lists and cache, then `dpkg -x` into a cache directory.
#
#   bash scripts/peers.sh          # fetch once; later runs only print what is there
#
# Idempotent: a peer already unpacked is kept. Prints one line per peer: its name, version and path.
# Tests and `npm run bench` find the binaries through scripts/peers.mjs, which reads the same
# directory (MINIPROM_PEERS_DIR, default ~/.cache/miniprom/peers) and skips, saying why, when a
# peer is missing. Never fails the caller: a peer that cannot be had is reported, not fatal.
set -uo pipefail

dir=${MINIPROM_PEERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/miniprom/peers}
# The versions the tests were written against; if the archive has moved on, take what it has.
wanted=(prometheus=3.5.3+ds1-6 promtool=3.5.3+ds1-6 prometheus-alertmanager=0.33.1-5)
mkdir -p "$dir"

have() { [ -x "$dir/root/usr/bin/$1" ]; }
report() {
  local bin
  for bin in prometheus promtool prometheus-alertmanager; do
    if have "$bin"; then
      printf '%-24s %-22s %s\n' "$bin" "$(cat "$dir/$bin.version" 2>/dev/null || echo '?')" "$dir/root/usr/bin/$bin"
    else
      printf '%-24s %s\n' "$bin" "missing (the tests that need it will be skipped)"
    fi
  done
}

if have prometheus && have promtool && have prometheus-alertmanager; then
  report
  exit 0
fi

# Debian's mirror as this machine already names it (deb822 or one-line format), else the default.
mirror=$(grep -hoE '^URIs: *\S+' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1)
[ -n "$mirror" ] || mirror=$(grep -hoE '^deb +(\[[^]]*\] +)?\S+' /etc/apt/sources.list 2>/dev/null | awk '{print $NF}' | grep -v security | head -n1)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

apt_dir="$dir/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$dir/debs"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main" >"$apt_dir/sources.list"
apt_opts=(
  -o "Dir::Etc::sourcelist=$apt_dir/sources.list"
  -o Dir::Etc::sourceparts=/dev/null
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache"
  # The download is written by root into our own folder; apt's _apt user could not write there.
  -o APT::Sandbox::User=root
)

if ! apt-get "${apt_opts[@]}" -qq update; then
  echo "peers: could not read Debian's sid package list from $mirror" >&2
  report
  exit 0
fi

cd "$dir/debs" || exit 0
for pkg in "${wanted[@]}"; do
  name=${pkg%%=*}
  have "$name" && continue
  rm -f "${name}"_*.deb
  if ! apt-get "${apt_opts[@]}" -qq download "$pkg" 2>/dev/null; then
    # The archive has moved on: take the version it has now, and say so.
    echo "peers: $pkg is no longer in the archive; taking the current $name" >&2
    apt-get "${apt_opts[@]}" -qq download "$name" || {
      echo "peers: could not download $name" >&2
      continue
    }
  fi
  deb=$(ls "${name}"_*.deb | head -n1)
  dpkg -x "$deb" "$dir/root" && dpkg-deb -f "$deb" Version >"$dir/$name.version"
done
report
