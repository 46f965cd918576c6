#!/usr/bin/env bash
# Let qgis-plugin-ci (PyPI), the tool plugin authors release with, package the plugin from the
# content of the zip `make package` wrote, and print what it says: its metadata validation
# (mandatory fields, version, changelog) and the zip it would upload.
#
# usage: scripts/check_package_with_plugin_ci.sh dist/insar_subsidence.zip WORK_DIR
#
# qgis-plugin-ci packages a git repository whose plugin folder is named in setup.cfg, so the zip
# is unpacked into a throw-away repository under WORK_DIR; its venv is made there on first use.
set -euo pipefail

ZIP=$(realpath "$1")
WORK=$(realpath -m "$2")
PLUGIN_CI_VERSION=2.10.0
VENV="$WORK/venv"
STAGE="$WORK/stage"

if [ "$PLUGIN_CI_VERSION" != "$(cat "$VENV/.installed" 2>/dev/null)" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
        "qgis-plugin-ci==$PLUGIN_CI_VERSION"
    echo "$PLUGIN_CI_VERSION" > "$VENV/.installed"
fi

rm -rf "$STAGE"
mkdir -p "$STAGE"
cd "$STAGE"
python3 -m zipfile -e "$ZIP" .
PLUGIN=$(ls)
VERSION=$(sed -n 's/^version=//p' "$PLUGIN/metadata.txt")
# qgis-plugin-ci reads the changelog at the repository's top, beside the plugin folder
if [ -f "$PLUGIN/CHANGELOG.md" ]; then cp "$PLUGIN/CHANGELOG.md" .; fi
printf '[qgis-plugin-ci]\nplugin_path = %s\nproject_slug = %s\n' "$PLUGIN" "$PLUGIN" > setup.cfg
git init -q
git add -A
git -c user.name=package-check -c user.email=package-check@localhost commit -qm "$PLUGIN $VERSION"
"$VENV/bin/qgis-plugin-ci" -v package "$VERSION"
echo "$STAGE/$PLUGIN.$VERSION.zip: $(python3 -m zipfile -l "$PLUGIN.$VERSION.zip" | tail -n +2 | wc -l) files"
