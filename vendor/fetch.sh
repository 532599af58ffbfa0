#!/bin/sh
# Obtain the pinned third-party inputs listed in vendor/deps.lock into a cache folder and verify
# their sha256. Files already in the cache (or placed there by hand for offline and cross builds)
# are only verified. Downloads go through the machine's own apt tooling, against a temporary
# Debian 13 "trixie" source list whose mirror is read from the system's apt configuration, so no
# archive host name is written anywhere in this repository.
#
# usage: vendor/fetch.sh CACHE_DIR [LOCK_FILE]   (default vendor/deps.lock)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${1:?usage: fetch.sh CACHE_DIR [LOCK_FILE]}
lockfile=${2:-$here/deps.lock}
suite=${OE_DEBIAN_SUITE:-trixie}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

say() { printf 'vendor: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

sha_ok() { # FILE SHA256
    [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

# The mirror: OE_DEBIAN_MIRROR if set, otherwise the URI that serves this system's own release.
mirror() {
    if [ -n "${OE_DEBIAN_MIRROR:-}" ]; then echo "$OE_DEBIAN_MIRROR"; return; fi
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    command -v apt-get >/dev/null || die "apt-get not found; place the files listed in vendor/deps.lock in $cache by hand"
    apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
        awk -v c="$codename" '$2 == c { print $1; exit }'
}

apt_state=
apt_setup() {
    [ -n "$apt_state" ] && return
    m=$(mirror)
    [ -n "$m" ] || die "cannot find a Debian mirror in the apt configuration; set OE_DEBIAN_MIRROR or place the files in $cache by hand"
    apt_state=$(mktemp -d)
    trap 'rm -rf "$apt_state"' EXIT
    mkdir -p "$apt_state/lists/partial" "$apt_state/cache/archives/partial" "$apt_state/parts"
    printf 'deb %s %s main\ndeb-src %s %s main\n' "$m" "$suite" "$m" "$suite" > "$apt_state/sources.list"
    APTO="-o Dir::Etc::SourceList=$apt_state/sources.list -o Dir::Etc::SourceParts=$apt_state/parts
          -o Dir::State::Lists=$apt_state/lists -o Dir::Cache=$apt_state/cache
          -o Debug::NoLocking=1 -o APT::Sandbox::User=root"
    say "reading the $suite package lists from the system's mirror"
    # shellcheck disable=SC2086
    apt-get $APTO -q update >"$apt_state/update.log" 2>&1 ||
        { cat "$apt_state/update.log" >&2; die "apt-get update for $suite failed"; }
}

# Print the download URI apt offers for FILE of package PKG (source or binary).
uri_for() { # KIND PKG FILE
    # shellcheck disable=SC2086
    if [ "$1" = src ]; then
        apt-get $APTO source --print-uris "$2" 2>/dev/null
    else
        apt-get $APTO download --print-uris "$2" 2>/dev/null
    fi | awk -v f="$3" '$2 == f { gsub("\047", "", $1); print $1; exit }'
}

grep -v '^#' "$lockfile" | while read -r name version kind pkg file sha; do
    [ -n "$name" ] || continue
    dest="$cache/$file"
    if sha_ok "$dest" "$sha"; then continue; fi
    [ -f "$dest" ] && die "$dest does not match its pinned sha256 $sha; remove it"
    apt_setup
    uri=$(uri_for "$kind" "$pkg" "$file")
    # The .dsc of a package can be superseded while its .orig tarball stays in the pool.
    if [ -z "$uri" ]; then
        case $pkg in lib*) p=$(echo "$pkg" | cut -c1-4) ;; *) p=$(echo "$pkg" | cut -c1) ;; esac
        uri="$(mirror)/pool/main/$p/$pkg/$file"
    fi
    say "fetching $name $version ($file)"
    /usr/lib/apt/apt-helper -o APT::Sandbox::User=root download-file "$uri" "$dest.part" "SHA256:$sha" \
        >/dev/null 2>&1 || { rm -f "$dest.part"; die "download of $file failed (from $uri); place it in $cache by hand"; }
    sha_ok "$dest.part" "$sha" || { rm -f "$dest.part"; die "$file: sha256 mismatch"; }
    mv "$dest.part" "$dest"
done
