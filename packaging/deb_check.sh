#!/usr/bin/env bash
# Install check of the .deb on this machine (needs root and apt; changes the system: installs, then removes
# the tinta package and whatever of its Depends apt has to add). One PASS/FAIL/SKIP/INFO line per check.
#   sudo packaging/deb_check.sh [DEB] [PHOTO]     (DEB: default the newest dist/tinta_*.deb)
# Runs headless: xvfb-run when present (the real xcb plugin), else QT_QPA_PLATFORM=offscreen.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEB="${1:-$(ls -t "$ROOT"/dist/tinta_*.deb 2>/dev/null | head -n1)}"
PHOTO="${2:-$ROOT/resources/samples/astronaut.jpg}"
PY="${PYTHON:-$([[ -x "$ROOT/.venv/bin/python" ]] && echo "$ROOT/.venv/bin/python" || echo python3)}"
failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
info() { echo "INFO: $*"; }

[[ $(id -u) -eq 0 ]] || { echo "deb_check: run as root (it installs and removes the package)" >&2; exit 2; }
[[ -f "$DEB" ]] || { echo "deb_check: no .deb at '${DEB}': run 'make package deb'" >&2; exit 2; }
[[ -f "$PHOTO" ]] || { echo "deb_check: $PHOTO: no such photo" >&2; exit 2; }
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || { echo "deb_check: needs apt-get and dpkg-deb" >&2; exit 2; }
DEB="$(cd "$(dirname "$DEB")" && pwd)/$(basename "$DEB")"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/tinta-deb-check.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/home" "$TMP/in"
cp "$PHOTO" "$TMP/in/"
PHOTO="$TMP/in/$(basename "$PHOTO")"
info "package $(basename "$DEB") ($(du -m "$DEB" | cut -f1) MiB), photo $(basename "$PHOTO")"

# Colourfulness of an image: mean over pixels of max(R,G,B) - min(R,G,B), in 8-bit levels (0 for gray).
chroma() { "$PY" -c 'import sys, numpy as np; from PIL import Image
a = np.asarray(Image.open(sys.argv[1]).convert("RGB"), np.int16); print(round(float((a.max(2) - a.min(2)).mean()), 1))' "$1"; }
# A clean environment, as a desktop launcher gives: nothing of a virtualenv or the source tree.
run_clean() { env -i PATH=/usr/bin:/bin HOME="$TMP/home" LANG=C.UTF-8 XDG_RUNTIME_DIR="$TMP/home" "$@"; }

# 1. The package's files.
contents="$(dpkg-deb --contents "$DEB")"
missing=""
for p in ./opt/tinta/tinta ./opt/tinta/tinta-desktop "./usr/bin/tinta -> /opt/tinta/tinta" \
         "./usr/bin/tinta-desktop -> /opt/tinta/tinta-desktop" ./usr/share/applications/tinta.desktop \
         ./usr/share/icons/hicolor/16x16/apps/tinta.png ./usr/share/icons/hicolor/512x512/apps/tinta.png \
         ./usr/share/icons/hicolor/scalable/apps/tinta.svg; do
    grep -qF -- " $p" <<<"$contents" || missing="$missing $p"
done
[[ -z "$missing" ]] && pass "contents: /opt/tinta, /usr/bin links, desktop entry, icons" || fail "contents lack:$missing"
depends="$(dpkg-deb --field "$DEB" Depends)"
info "Depends: $depends"
absent=""
for d in $(tr ',' '\n' <<<"$depends" | sed 's/(.*)//; s/ //g'); do
    dpkg -s "$d" >/dev/null 2>&1 || absent="$absent $d"
done
[[ -n "$absent" ]] && info "not installed before the check (apt must bring them, from its cache when offline):$absent"

# 2. Before the install, while an xcb library is missing: the frozen app says so in one line.
dpkg-deb -x "$DEB" "$TMP/x"
if [[ "$absent" == *libxcb* ]]; then
    run_clean DISPLAY=:0 "$TMP/x/opt/tinta/tinta-desktop" "$PHOTO" >"$TMP/miss.out" 2>"$TMP/miss.err"; rc=$?
    if [[ $rc -ne 0 && $(wc -l <"$TMP/miss.err") -eq 1 ]] && grep -q "apt install.*libxcb" "$TMP/miss.err"; then
        pass "missing xcb library, exit $rc: $(cat "$TMP/miss.err")"
    else
        fail "missing xcb library: exit $rc, stderr: $(head -c 600 "$TMP/miss.err")"
    fi
else
    echo "SKIP: missing-xcb-library message (every xcb library is installed here)"
fi

# 3. Install.
if apt-get install -y "$DEB" >"$TMP/apt.log" 2>&1; then
    pass "apt-get install $(basename "$DEB") ($(grep -c '^Setting up' "$TMP/apt.log") packages set up)"
else
    fail "apt-get install: $(tail -n 3 "$TMP/apt.log" | tr '\n' ' ')"
    echo "deb_check: $failures check(s) failed"; exit 1
fi
[[ "$(readlink /usr/bin/tinta)" == /opt/tinta/tinta && "$(readlink /usr/bin/tinta-desktop)" == /opt/tinta/tinta-desktop \
    && "$(command -v tinta-desktop)" == /usr/bin/tinta-desktop ]] && pass "tinta and tinta-desktop on the PATH" \
    || fail "PATH links: $(ls -l /usr/bin/tinta* 2>&1 | tr '\n' ' ')"
if command -v desktop-file-validate >/dev/null; then
    out="$(desktop-file-validate /usr/share/applications/tinta.desktop 2>&1)" && pass "desktop-file-validate" || fail "desktop-file-validate: $out"
fi

# 4. The command line from /usr/bin colorizes.
if run_clean tinta colorize "$PHOTO" -o "$TMP/cli" >"$TMP/cli.out" 2>"$TMP/cli.err"; then
    out="$TMP/cli/$(basename "${PHOTO%.*}").png"
    c_in="$(chroma "$PHOTO")"; c_out="$(chroma "$out")"
    awk "BEGIN{exit !($c_out > $c_in + 3)}" && pass "/usr/bin/tinta colorize: colourfulness $c_in -> $c_out" \
        || fail "/usr/bin/tinta colorize: colourfulness $c_in -> $c_out"
else
    fail "/usr/bin/tinta colorize exited $?: $(tail -c 400 "$TMP/cli.err")"
fi

# 5. The desktop entry's Exec line on the photo: the window starts and stays up with a clean stderr.
if command -v xvfb-run >/dev/null; then DISPLAY_RUN=(xvfb-run -a); platform=xcb
else DISPLAY_RUN=(env QT_QPA_PLATFORM=offscreen); platform=offscreen; fi
exec_line="$(sed -n 's/^Exec=//p' /usr/share/applications/tinta.desktop)"
read -r -a argv <<<"${exec_line//%F/$PHOTO}"
run_clean timeout 25 "${DISPLAY_RUN[@]}" "${argv[@]}" >"$TMP/exec.out" 2>"$TMP/exec.err"; rc=$?
unexpected="$(grep -Ev '^This plugin does not support propagateSizeHints\(\)$' "$TMP/exec.err")"
if [[ $rc -eq 124 && -z "$unexpected" ]]; then
    pass "Exec line '$exec_line' ($platform): window up for 25 s on the photo, stderr clean"
else
    fail "Exec line '$exec_line' ($platform): exit $rc, stderr: $(head -c 600 <<<"$unexpected")"
fi

# 6. The installed app opens and colorizes a photo: its scripted demo, through the same /usr/bin launcher.
if run_clean "${DISPLAY_RUN[@]}" tinta-desktop --demo "$PHOTO" --screenshots "$TMP/shots" >"$TMP/demo.out" 2>"$TMP/demo.err"; then
    shot="$(ls "$TMP"/shots/02-*.png 2>/dev/null | head -n1)"
    if [[ -n "$shot" ]]; then
        c="$(chroma "$shot")"
        awk "BEGIN{exit !($c > 3)}" && pass "tinta-desktop --demo ($platform): opened and colorized, window colourfulness $c" \
            || fail "tinta-desktop --demo: colorized window colourfulness only $c"
    else
        fail "tinta-desktop --demo: no 02-opened-colorized screenshot; $(tail -c 300 "$TMP/demo.out")"
    fi
else
    fail "tinta-desktop --demo exited $?: $(tail -c 400 "$TMP/demo.err")"
fi

# 7. Remove: nothing of it is left.
if apt-get remove -y tinta >"$TMP/rm.log" 2>&1; then pass "apt-get remove tinta"; else fail "apt-get remove: $(tail -n 3 "$TMP/rm.log")"; fi
left="$(ls -d /opt/tinta /usr/bin/tinta /usr/bin/tinta-desktop /usr/share/applications/tinta.desktop \
        /usr/share/icons/hicolor/*/apps/tinta.* 2>/dev/null)"
[[ -z "$left" ]] && pass "nothing left under /opt/tinta, /usr/bin/tinta*, /usr/share/applications/tinta.desktop, icons" \
    || fail "left after removal: $(tr '\n' ' ' <<<"$left")"

if [[ $failures -ne 0 ]]; then echo "deb_check: $failures check(s) failed"; exit 1; fi
echo "deb_check: all checks passed"
