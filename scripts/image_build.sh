#!/usr/bin/env bash
# Builds Storm's container image from Debian packages only, then tests it.
#
#   scripts/image_build.sh [--no-test]
#
# 1. Storm is built (release, prefix /usr, no tests) and installed into a
#    staging directory: the binary, the shipped models, manifests and web UI.
# 2. The runtime libraries it needs are read from the binary (ldd, then
#    dpkg -S: the Debian packages that hold them), with the packages of the
#    libraries it loads when used (storm_config.h's STORM_PACKAGE_*).
# 3. mmdebstrap makes a Debian 12 root filesystem from Debian's mirror: the
#    essential packages, those libraries and ca-certificates, no docs.
# 4. buildah bud --isolation chroot builds deploy/image/Containerfile on it
#    (FROM scratch: nothing is pulled from a registry) and tags
#    storm:VERSION, the name deploy/k8s runs.
# 5. The test (unless --no-test): storm run over the corpus inside the image
#    (buildah run --isolation chroot, as the image's non-root user) and the
#    same run outside; the sightings (ids, counts) must be the same.
#
# Not part of scripts/test.sh: it takes minutes and the network (Debian's
# mirror). Needs root (or sudo) for apt-get; mmdebstrap and buildah are
# installed when missing. Work files go to build-image/ (STORM_IMAGE_WORK);
# the image goes to buildah's vfs storage (STORM_IMAGE_STORAGE, default
# build-image/storage), which works inside a container where overlay
# mounts do not. Settings: STORM_IMAGE (tag), STORM_IMAGE_MIRROR.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${STORM_IMAGE_WORK:-$root/build-image}
mirror=${STORM_IMAGE_MIRROR:-http://deb.debian.org}
storage=${STORM_IMAGE_STORAGE:-$work/storage}
run_test=1
[ "${1:-}" = --no-test ] && run_test=0
version=$(sed -n "s/^ *version: '\([^']*\)'.*/\1/p" "$root/meson.build" | head -1)
tag=${STORM_IMAGE:-storm:$version}
export BUILDAH_ISOLATION=chroot
bah=(buildah --storage-driver vfs --root "$storage" --runroot "$work/runroot")

step() { printf '\n== %s\n' "$*"; }

# The tools, from Debian.
missing=()
for p in mmdebstrap buildah; do command -v "$p" >/dev/null || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq "${missing[@]}"
fi
mkdir -p "$work"

step "1. build and stage storm $version"
if [ ! -d "$work/build" ]; then
  meson setup "$work/build" "$root" --prefix=/usr --buildtype=release -Dtests=false >"$work/meson-setup.log"
fi
nice ninja -C "$work/build" -j2 >"$work/ninja.log"
rm -rf "$work/context"
mkdir -p "$work/context"
DESTDIR="$work/context/stage" meson install -C "$work/build" --no-rebuild --quiet
"$work/context/stage/usr/bin/storm" --version

step "2. the runtime libraries storm links to"
mapfile -t libs < <(ldd "$work/context/stage/usr/bin/storm" | awk '$3 ~ /^\// {print $3}')
pkgs=()
for f in "${libs[@]}"; do
  p=$(dpkg -S "$f" 2>/dev/null || dpkg -S "$(readlink -f "$f")" 2>/dev/null || true)
  [ -n "$p" ] || { echo "no Debian package holds $f" >&2; exit 1; }
  pkgs+=("${p%%:*}")
done
# and those it loads when a command first needs them (libcurl, libpq, ...:
# storm/lazy_lib.h), which ldd does not list: the build's storm_config.h names their packages
mapfile -t lazy < <(sed -n 's/^#define STORM_PACKAGE_[A-Z0-9_]* "\(.*\)"$/\1/p' "$work/build/include/storm_config.h")
[ ${#lazy[@]} -gt 0 ] || { echo "no STORM_PACKAGE_ in $work/build/include/storm_config.h" >&2; exit 1; }
pkgs+=("${lazy[@]}")
pkgs+=(ca-certificates) # storm publish/pull and --alert-webhook over HTTPS
include=$(printf '%s\n' "${pkgs[@]}" | sort -u | paste -sd, -)
echo "$include"

step "3. mmdebstrap: Debian 12 (essential variant) + those libraries"
if [ ! -s "$work/rootfs.tar" ] || [ "$(cat "$work/rootfs.include" 2>/dev/null)" != "$include" ]; then
  rm -f "$work/rootfs.tar"
  mmdebstrap --variant=essential --include="$include" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    bookworm "$work/rootfs.tar" \
    "deb $mirror/debian bookworm main" "deb $mirror/debian bookworm-updates main" \
    "deb $mirror/debian-security bookworm-security main"
  echo "$include" >"$work/rootfs.include"
fi
ln -f "$work/rootfs.tar" "$work/context/rootfs.tar" 2>/dev/null || cp "$work/rootfs.tar" "$work/context/rootfs.tar"
du -h "$work/rootfs.tar"

step "4. buildah bud --isolation chroot -> $tag"
"${bah[@]}" bud --isolation chroot --layers=false -f "$root/deploy/image/Containerfile" -t "$tag" "$work/context"
"${bah[@]}" images "$tag"
# the manifests run this image
for m in "$root"/deploy/k8s/*.yaml; do
  while read -r img; do
    [ "$img" = "$tag" ] || { echo "$m runs image $img, not $tag" >&2; exit 1; }
  done < <(sed -n 's/^ *image: *//p' "$m")
done
echo "deploy/k8s runs $tag"

[ "$run_test" = 1 ] || exit 0
step "5. test: storm run over the corpus inside the image and outside"
exec "$root/scripts/image_test.sh" "$tag"
