#!/usr/bin/env bash
# macOS: build Tinta.app (PyInstaller BUNDLE in packaging/tinta.spec) and a drag-to-Applications .dmg.
# UNTESTED: written on Linux, never run on a Mac. See packaging/macos/README.md.
#   packaging/macos/build_dmg.sh        (env: PYTHON, CODESIGN_IDENTITY, NOTARY_PROFILE)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
[[ "$(uname -s)" == Darwin ]] || { echo "build_dmg: macOS only (it needs hdiutil and codesign)" >&2; exit 2; }
PY="${PYTHON:-python3}"
VERSION="$("$PY" -c "import tomllib; print(tomllib.load(open('pyproject.toml','rb'))['project']['version'])")"
ARCH="$(uname -m)"   # PyInstaller does not cross-compile: build once on arm64 and once on x86_64
APP="dist/Tinta.app"
DMG="dist/Tinta-$VERSION-macos-$ARCH.dmg"

"$PY" -m PyInstaller packaging/tinta.spec --noconfirm --distpath dist --workpath build/pyinstaller
[[ -x "$APP/Contents/MacOS/tinta-desktop" && -x "$APP/Contents/MacOS/tinta" ]] \
    || { echo "build_dmg: $APP lacks tinta-desktop or tinta" >&2; exit 1; }

if [[ -n "${CODESIGN_IDENTITY:-}" ]]; then
    # Hardened runtime (needed for notarization); --deep signs the bundled libraries too.
    codesign --force --deep --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$APP"
    codesign --verify --deep --strict "$APP"
else
    echo "build_dmg: CODESIGN_IDENTITY unset: the app is unsigned and Gatekeeper will refuse it on other Macs" >&2
fi

# The bundle's CLI must run; the smoke test runs on dist/tinta, the same files as the one-folder app.
"$APP/Contents/MacOS/tinta" info >/dev/null
bash packaging/smoke.sh dist/tinta

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
hdiutil create -volname "Tinta $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"

if [[ -n "${NOTARY_PROFILE:-}" ]]; then
    [[ -n "${CODESIGN_IDENTITY:-}" ]] && codesign --sign "$CODESIGN_IDENTITY" --timestamp "$DMG"
    xcrun notarytool submit "$DMG" --keychain-profile "$NOTARY_PROFILE" --wait
    xcrun stapler staple "$DMG"
fi
ls -l "$DMG"
