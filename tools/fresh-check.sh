#!/usr/bin/env bash
# The README's two commands on a bare Debian 12. Debootstraps a minimal
# bookworm root once (`--variant=minbase`, cached in $TESSEL_FRESH_CACHE),
# and for every check: lays a throw-away overlay over it, clones the commit
# checked out here (HEAD, not the work tree's edits) into it, and runs
# `./tools/test.sh` and then `./tools/demo.sh` (with a short tuning budget)
# inside, as a new user would on a fresh machine. A package the project
# needs and does not install fails the check.
#
# The clone sits at the same path as this checkout and ../shared is mounted
# read-only beside it, so that the compiler's command lines match the host's
# and a bind-mounted ccache ($TESSEL_FRESH_CCACHE) serves the build. The
# host's apt archive is bind-mounted too: the same Debian packages, not
# downloaded twice. Needs root (chroot, mounts in a private namespace).
#   tools/fresh-check.sh            test.sh, then demo.sh
#   tools/fresh-check.sh --no-demo  test.sh only
# Environment: TESSEL_FRESH_CACHE (default /var/cache/tessel), TESSEL_FRESH_BUDGET
# (the demo's tuning budget, default 30s), TESSEL_FRESH_CCACHE (default: the
# host's ccache directory; "none" for a cold build), TESSEL_FRESH_MIRROR.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
demo=1
case "${1:-}" in
  "") ;;
  --no-demo) demo=0 ;;
  *) echo "tessel fresh-check: unknown option $1 (use --no-demo)" >&2; exit 2 ;;
esac
[[ $(id -u) -eq 0 ]] || { echo "tessel fresh-check: needs root (debootstrap, chroot, mounts)" >&2; exit 1; }

cache="${TESSEL_FRESH_CACHE:-/var/cache/tessel}"
mirror="${TESSEL_FRESH_MIRROR:-http://deb.debian.org/debian}"
budget="${TESSEL_FRESH_BUDGET:-30s}"
base="$cache/bookworm-minbase"
say() { printf '== fresh-check: %s\n' "$*"; }

# The host tools of the check itself (not the project's: those are what the
# check is about).
for tool in debootstrap git; do
  command -v "$tool" >/dev/null || {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$tool" >/dev/null
  }
done

if [[ ! -f "$base/.tessel-complete" ]]; then
  say "debootstrap --variant=minbase bookworm into $base (once)"
  rm -rf "$base" && mkdir -p "$cache"
  debootstrap --variant=minbase bookworm "$base.partial" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
    tail -n 20 "$cache/debootstrap.log"
    echo "tessel fresh-check: debootstrap failed; the whole log is $cache/debootstrap.log" >&2
    exit 1
  }
  # The same suites as a Debian 12 install: bookworm, its updates, security.
  cat >"$base.partial/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
  mv "$base.partial" "$base" && touch "$base/.tessel-complete"
fi

commit=$(git -C "$root" rev-parse HEAD)
ccache_dir="${TESSEL_FRESH_CCACHE:-$(ccache -k cache_dir 2>/dev/null || echo none)}"
work=$(mktemp -d "$cache/run.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/upper" "$work/overlay-work" "$work/root"
say "commit $commit on a bare bookworm (ccache: $ccache_dir, demo budget: $budget)"

# Everything below runs in a private mount namespace: the mounts vanish with
# it, whatever happens.
export root work base commit ccache_dir demo budget
unshare --mount --propagation private bash -euo pipefail -c '
  r="$work/root"
  mount -t overlay overlay -o "lowerdir=$base,upperdir=$work/upper,workdir=$work/overlay-work" "$r"
  mount -t proc proc "$r/proc"
  mount --rbind /sys "$r/sys"
  mount --rbind /dev "$r/dev"
  cp /etc/resolv.conf "$r/etc/resolv.conf"
  mkdir -p "$r/var/cache/apt/archives"
  mount --bind /var/cache/apt/archives "$r/var/cache/apt/archives"
  parent=$(dirname "$root")
  mkdir -p "$r$root" "$r$parent/shared"
  [[ -d "$parent/shared" ]] && mount --bind -o ro "$parent/shared" "$r$parent/shared"
  git clone -q --no-hardlinks "$root" "$r$root"
  git -C "$r$root" checkout -q "$commit"
  env=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
       TESSEL_DEMO_BUDGET="$budget")
  if [[ "$ccache_dir" != none && -d "$ccache_dir" ]]; then
    mkdir -p "$r/root/.cache/ccache"
    mount --bind "$ccache_dir" "$r/root/.cache/ccache"
  fi
  cmd="cd $root && ./tools/test.sh"
  [[ $demo == 1 ]] && cmd="$cmd && ./tools/demo.sh"
  exec chroot "$r" /usr/bin/env -i "${env[@]}" /bin/bash -c "$cmd"
'
say "passed: ./tools/test.sh$( ((demo)) && echo ' and ./tools/demo.sh') on a bare bookworm"
