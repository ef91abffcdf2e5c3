#!/usr/bin/env bash
# A local stand-in for the official python:3.11-slim-bookworm image, made from Debian packages
# with debootstrap, for machines that have podman but no image registry. It is named
# localhost/portion-base (never an official image's name) and passed to the Dockerfile's
# `ARG BASE`. Made once, then reused while this script is unchanged (a label holds its hash).
#
#   docker/base.sh            prints the base's name, making it first when needed
#   docker/base.sh --rebuild  makes it again
#
# The Debian mirror is the one in this machine's apt sources. Needs root, podman, debootstrap.
set -euo pipefail

NAME="${PORTION_BASE_NAME:-localhost/portion-base:bookworm-python3.11}"
RECIPE="$(sha256sum "$0" | cut -c1-16)"
LABEL="org.extra-portion.base-recipe"

if [ "${1:-}" != "--rebuild" ] && podman image exists "$NAME" \
    && [ "$(podman image inspect --format "{{index .Labels \"$LABEL\"}}" "$NAME")" = "$RECIPE" ]; then
    echo "$NAME"
    exit 0
fi

# The mirrors apt uses here: the first Debian URI for bookworm, and the security one.
sources() {
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
        2>/dev/null | grep -v '^[[:space:]]*#' || true
}
MIRROR="$(sources | grep -oE '(https?://[^ ]+/debian)/?( |$)' | head -n1 | tr -d ' ' || true)"
SECURITY="$(sources | grep -oE 'https?://[^ ]+/debian-security/?' | head -n1 || true)"
if [ -z "$MIRROR" ]; then
    echo "Error: no Debian mirror found in apt's sources" >&2
    exit 1
fi

ROOTFS="$(mktemp -d /var/tmp/portion-base.XXXXXX)"
cleanup() {
    umount "$ROOTFS/proc" 2>/dev/null || true
    rm -rf --one-file-system "$ROOTFS"
}
trap cleanup EXIT

echo "Making $NAME from Debian bookworm packages (about 90 s, once)..." >&2
debootstrap --variant=minbase \
    --include=python3,python3-venv,python3-pip,ca-certificates,netbase,tzdata \
    bookworm "$ROOTFS" "$MIRROR" >&2

{
    echo "deb $MIRROR bookworm main"
    echo "deb $MIRROR bookworm-updates main"
    if [ -n "$SECURITY" ]; then echo "deb $SECURITY bookworm-security main"; fi
} >"$ROOTFS/etc/apt/sources.list"
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
mount -t proc proc "$ROOTFS/proc"
chroot "$ROOTFS" /bin/sh -c '
    set -e
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get upgrade -y -qq >/dev/null
    apt-get clean
    rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/*.log /var/log/apt/*
' >&2
umount "$ROOTFS/proc"
: >"$ROOTFS/etc/resolv.conf"

# As in the official image: python and pip on the PATH under /usr/local/bin, and pip allowed to
# install (the official image has no EXTERNALLY-MANAGED marker).
for name in python python3; do ln -sf /usr/bin/python3 "$ROOTFS/usr/local/bin/$name"; done
for name in pip pip3; do ln -sf /usr/bin/pip3 "$ROOTFS/usr/local/bin/$name"; done
rm -f "$ROOTFS/usr/lib/python3.11/EXTERNALLY-MANAGED"

tar --numeric-owner -C "$ROOTFS" -cf - . | podman import \
    --change 'ENV LANG=C.UTF-8' \
    --change "LABEL $LABEL=$RECIPE" \
    --change 'CMD ["python3"]' \
    - "$NAME" >&2
echo "$NAME"
