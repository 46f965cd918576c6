#!/usr/bin/env bash
# Run the test suite on QGIS 3.40 LTR (Debian 13 "trixie": Python 3.13, GDAL 3.10, numpy 2)
# in a chroot under build/, built with debootstrap on first use and reused afterwards.
#
# usage (as root): scripts/test_qgis_lts.sh CHROOT_DIR DEBIAN_PACKAGE... [-- PYTEST_ARGS...]
#
# The repository is bind-mounted at its own path inside the chroot, so the plugin link in
# build/qgis_plugins and the tests' paths resolve there as on the host. Every mount made here is
# undone on exit, also after a failure or Ctrl-C: `make clean` must never meet a bind mount of
# /dev or of the repository under build/.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CHROOT=$(realpath -m "$1")
shift
PACKAGES=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do PACKAGES+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
PYTEST_ARGS=("$@")
[ ${#PYTEST_ARGS[@]} -gt 0 ] || PYTEST_ARGS=(tests)

MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
VENV=/opt/insar-venv  # inside the chroot
# proj-bin: pyproj in a venv finds PROJ's data through the `proj` executable (Debian 12 brings
# it as a recommendation); git: the package test archives HEAD; torch: the PyTorch CPU index is
# not reachable from every machine and PyPI's Linux wheel is the CUDA build (several GB of
# nvidia-* wheels), so the chroot takes Debian's CPU-only python3-torch, built for trixie's
# Python 3.13 and numpy 2.
EXTRA_PACKAGES=(ca-certificates git proj-bin python3-torch)
PIP_PACKAGES=(pytest "pytest-qgis==5.0.2")

[ "$(id -u)" = 0 ] || { echo "test_qgis_lts.sh needs root (debootstrap, chroot, mount)" >&2; exit 1; }

MOUNTED=()
unmount_all() {
    local i
    for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
        umount "${MOUNTED[i]}" 2>/dev/null || umount -l "${MOUNTED[i]}" || true
    done
    MOUNTED=()
}
trap unmount_all EXIT
trap 'exit 130' INT TERM

bind() {  # bind SOURCE: mount SOURCE at the same path inside the chroot
    local target="$CHROOT$1"
    mkdir -p "$target"
    if ! mountpoint -q "$target"; then
        mount --bind "$1" "$target"
        MOUNTED+=("$target")
    fi
}

in_chroot() {
    chroot "$CHROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        DEBIAN_FRONTEND=noninteractive PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
        PIP_DISABLE_PIP_VERSION_CHECK=1 "$@"
}

if [ ! -e "$CHROOT/.debootstrap-done" ]; then
    command -v debootstrap >/dev/null || { apt-get update && apt-get install -y debootstrap; }
    mkdir -p "$CHROOT"
    debootstrap --variant=minbase trixie "$CHROOT" "$MIRROR"
    touch "$CHROOT/.debootstrap-done"
fi

bind /dev
bind /dev/pts
mountpoint -q /dev/shm && bind /dev/shm
bind /proc
bind /sys
bind "$ROOT"
# the tests read real files from shared/data beside the repository when it is there
SHARED=$(realpath -m "$ROOT/../shared")
[ -d "$SHARED" ] && bind "$SHARED"
# a git worktree keeps its objects in the main checkout's .git (the package test archives HEAD)
GIT_COMMON=$(git -C "$ROOT" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)
case "$GIT_COMMON" in "" | "$ROOT"/*) ;; *) bind "$GIT_COMMON" ;; esac

cp /etc/resolv.conf "$CHROOT/etc/resolv.conf"
mkdir -p "$CHROOT/usr/local/share/ca-certificates"
cp -a /usr/local/share/ca-certificates/. "$CHROOT/usr/local/share/ca-certificates/" 2>/dev/null || true

WANTED="$(printf '%s\n' "${PACKAGES[@]}" "${EXTRA_PACKAGES[@]}" | sort -u)"
if [ "$WANTED" != "$(cat "$CHROOT/.packages-installed" 2>/dev/null)" ]; then
    in_chroot apt-get update
    # shellcheck disable=SC2086
    in_chroot apt-get install -y --no-install-recommends $WANTED
    echo "$WANTED" > "$CHROOT/.packages-installed"
fi
in_chroot update-ca-certificates >/dev/null

if [ "${PIP_PACKAGES[*]}" != "$(cat "$CHROOT/.pip-installed" 2>/dev/null)" ]; then
    in_chroot /usr/bin/python3 -m venv --system-site-packages "$VENV"
    in_chroot "$VENV/bin/python" -m pip install -q "${PIP_PACKAGES[@]}"
    echo "${PIP_PACKAGES[*]}" > "$CHROOT/.pip-installed"
fi

SITE=$(in_chroot "$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
in_chroot "$VENV/bin/python" - <<'EOF'
from qgis.core import Qgis
import numpy, osgeo, sys, torch
print(f"QGIS {Qgis.QGIS_VERSION}, Python {sys.version.split()[0]}, numpy {numpy.__version__}, "
      f"GDAL {osgeo.__version__}, torch {torch.__version__}")
EOF
mkdir -p "$ROOT/build/qgis_plugins"
ln -sfn "$ROOT" "$ROOT/build/qgis_plugins/insar_subsidence"
in_chroot "$VENV/bin/python" "$ROOT/scripts/enable_plugin.py" \
    /root/.local/share/QGIS/QGIS3/profiles/default/QGIS/QGIS3.ini insar_subsidence
set +e
in_chroot /bin/sh -c 'cd "$0" && exec "$@"' "$ROOT" \
    env QT_QPA_PLATFORM=offscreen QGIS_PLUGINPATH="$ROOT/build/qgis_plugins" PYTHONPATH="$SITE" \
    OMP_NUM_THREADS=2 "$VENV/bin/python" -m pytest "${PYTEST_ARGS[@]}"
status=$?
set -e
exit $status
