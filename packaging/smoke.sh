#!/usr/bin/env bash
# Smoke test of the built one-folder app (dist/tinta by default): the frozen `tinta` colorizes a photo
# headlessly, the frozen `tinta-desktop` runs its scripted demo offscreen, both exit 0 with no unexpected
# stderr; bad input gives one line and no traceback; no training/plotting library is in the bundle.
#   packaging/smoke.sh [DIST_DIR] [PHOTO]      (PHOTO: a b/w photo; default: see pick_photo below)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIST="$(cd "${1:-$ROOT/dist/tinta}" 2>/dev/null && pwd)" || { echo "smoke: no built app at ${1:-dist/tinta}; run 'make package'" >&2; exit 2; }
EXE=""; [[ "$(uname -s)" == MINGW* || "$(uname -s)" == CYGWIN* ]] && EXE=".exe"
CLI="$DIST/tinta$EXE"
GUI="$DIST/tinta-desktop$EXE"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/tinta-smoke.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() { echo "smoke: FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "smoke: ok: $*"; }

# Known-harmless stderr: Qt's offscreen platform plugin says this whenever a window is resized.
ALLOWED_STDERR='^This plugin does not support propagateSizeHints\(\)$'
unexpected() { grep -Ev "$ALLOWED_STDERR" "$1" || true; }

pick_photo() {
    if [[ -n "${2:-}" ]]; then cp "$2" "$TMP/in/"; return; fi
    local s
    for s in "$ROOT"/../shared/data/historical/Marilyn.jpg "$ROOT"/resources/samples/*.jpg "$ROOT"/resources/samples/*.png; do
        if [[ -f "$s" ]]; then cp "$s" "$TMP/in/"; return; fi
    done
    # No photo around: a 640x480 gray ramp with a bright square, as a 24-bit BMP, from the standard library only.
    python3 - "$TMP/in/generated.bmp" <<'EOF'
import struct, sys
w, h = 640, 480
row = bytearray()
rows = []
for y in range(h):
    r = bytearray()
    for x in range(w):
        v = 255 if (160 <= x < 320 and 120 <= y < 240) else int(30 + 180 * x / w + 30 * y / h)
        r += bytes((v, v, v))
    rows.append(bytes(r))
data = b"".join(rows)  # rows are bottom-up in BMP; 640*3 is a multiple of 4, so no padding
with open(sys.argv[1], "wb") as f:
    f.write(b"BM" + struct.pack("<IHHI", 54 + len(data), 0, 0, 54))
    f.write(struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(data), 2835, 2835, 0, 0) + data)
EOF
}

[[ -x "$CLI" ]] || { echo "smoke: $CLI is missing or not executable" >&2; exit 2; }
[[ -x "$GUI" ]] || { echo "smoke: $GUI is missing or not executable" >&2; exit 2; }
mkdir -p "$TMP/in" "$TMP/home"
pick_photo "$@"
PHOTO="$(ls "$TMP"/in/* | head -n1)"
echo "smoke: app $DIST, photo $(basename "$PHOTO")"

# A clean environment: nothing from a virtualenv, the source tree or the user's settings can leak in.
run_clean() { (cd "$TMP" && env -i PATH=/usr/bin:/bin HOME="$TMP/home" LANG=C.UTF-8 XDG_RUNTIME_DIR="$TMP/home" \
    XDG_CONFIG_HOME="$TMP/home/.config" QT_QPA_PLATFORM=offscreen "$@"); }

# 1. CLI: model info names the bundled default model.
if run_clean "$CLI" info >"$TMP/info.out" 2>"$TMP/info.err"; then
    if grep -q "_internal/resources/models/tinta-base.onnx" "$TMP/info.out" || grep -q "resources/models/tinta-base.onnx" "$TMP/info.out"; then
        ok "tinta info: $(grep '^provider in use' "$TMP/info.out")"
    else
        fail "tinta info does not show the bundled tinta-base model"; cat "$TMP/info.out" >&2
    fi
    [[ -z "$(unexpected "$TMP/info.err")" ]] || fail "tinta info wrote to stderr: $(head -c 400 "$TMP/info.err")"
else
    fail "tinta info exited $?: $(tail -c 400 "$TMP/info.err")"
fi

# 2. CLI: colorize the photo.
t0=$(date +%s.%N)
if run_clean "$CLI" colorize "$PHOTO" -o "$TMP/out" >"$TMP/cli.out" 2>"$TMP/cli.err"; then
    t1=$(date +%s.%N)
    out="$TMP/out/$(basename "${PHOTO%.*}").png"
    if [[ -s "$out" ]]; then ok "tinta colorize -> $(basename "$out") ($(wc -c <"$out") bytes, $(awk "BEGIN{printf \"%.1f\", $t1-$t0}") s incl. start)"
    else fail "tinta colorize exited 0 but wrote no $out"; fi
    [[ -z "$(unexpected "$TMP/cli.err")" ]] || fail "tinta colorize wrote to stderr: $(head -c 400 "$TMP/cli.err")"
else
    fail "tinta colorize exited $?: $(tail -c 400 "$TMP/cli.err")"
fi

# 2b. CLI batch with two worker processes: in a frozen app each "spawn" worker re-runs the executable.
if run_clean "$CLI" batch --help >/dev/null 2>&1; then
    mkdir -p "$TMP/batch"; cp "$PHOTO" "$TMP/batch/a${PHOTO##*/}"; cp "$PHOTO" "$TMP/batch/b${PHOTO##*/}"
    if run_clean "$CLI" batch "$TMP/batch" -o "$TMP/batch-out" --workers 2 >"$TMP/batch.out" 2>"$TMP/batch.err" \
            && [[ $(find "$TMP/batch-out" -maxdepth 1 -name '*.png' | wc -l) -eq 2 ]]; then
        ok "tinta batch, 2 workers: $(grep -o '[0-9]* rendered.*files/s)' "$TMP/batch.out" | head -n1)"
    else
        fail "tinta batch: $(tail -c 400 "$TMP/batch.out") $(tail -c 400 "$TMP/batch.err")"
    fi
fi

# 2c. CLI uncertainty: the whole graph with the class head, its softmax rewritten at load (engine/graph_rewrite.py,
# which needs onnx.helper in the bundle).
if run_clean "$CLI" uncertainty "$PHOTO" -o "$TMP/unsure.png" >"$TMP/unsure.out" 2>"$TMP/unsure.err" \
        && [[ -s "$TMP/unsure.png" ]]; then
    ok "tinta uncertainty: $(grep -o 'uncertainty [0-9.]* on average' "$TMP/unsure.out" | head -n1)"
else
    fail "tinta uncertainty: $(tail -c 400 "$TMP/unsure.out") $(tail -c 400 "$TMP/unsure.err")"
fi

# 3. CLI: a missing file is one plain error line, exit status non-zero, no traceback.
set +e
run_clean "$CLI" colorize "$TMP/no-such-photo.jpg" -o "$TMP/out2" >/dev/null 2>"$TMP/bad.err"; rc=$?
set -e
if [[ $rc -ne 0 ]] && grep -q "no-such-photo.jpg" "$TMP/bad.err" && ! grep -q Traceback "$TMP/bad.err"; then
    ok "missing input: exit $rc, '$(head -n1 "$TMP/bad.err")'"
else
    fail "missing input: exit $rc, stderr: $(head -c 400 "$TMP/bad.err")"
fi

# 4. Desktop: the scripted demo, offscreen, with screenshots.
t0=$(date +%s.%N)
if run_clean "$GUI" --demo "$PHOTO" --screenshots "$TMP/shots" >"$TMP/gui.out" 2>"$TMP/gui.err"; then
    t1=$(date +%s.%N)
    shots=$(find "$TMP/shots" -name '[0-9][0-9]-*.png' -size +1k | wc -l)
    if [[ $shots -ge 5 ]] && grep -q exported "$TMP/gui.out"; then
        ok "tinta-desktop --demo: $shots screenshots, export done ($(awk "BEGIN{printf \"%.1f\", $t1-$t0}") s)"
    else
        fail "tinta-desktop --demo: $shots screenshots; output: $(tail -c 400 "$TMP/gui.out")"
    fi
    [[ -z "$(unexpected "$TMP/gui.err")" ]] || fail "tinta-desktop wrote to stderr: $(unexpected "$TMP/gui.err" | head -c 400)"
else
    fail "tinta-desktop --demo exited $?: $(tail -c 400 "$TMP/gui.err")"
fi

# 5. Nothing of the training stack is in the bundle.
heavy=$(find "$DIST" -maxdepth 3 \( -iname 'torch' -o -iname 'torch-*' -o -iname 'libtorch*' -o -iname 'matplotlib' \
        -o -iname 'scipy' -o -iname 'skimage' -o -iname 'trainer' \) | head -n5)
[[ -z "$heavy" ]] && ok "no torch, trainer, matplotlib, scipy or skimage in the bundle" || fail "bundle holds: $heavy"

size=$(du -sk "$DIST" | cut -f1)
files=$(find "$DIST" -type f | wc -l)
echo "smoke: bundle size $(awk "BEGIN{printf \"%.0f\", $size/1024}") MiB in $files files ($DIST)"
if [[ $failures -ne 0 ]]; then echo "smoke: $failures check(s) failed" >&2; exit 1; fi
echo "smoke: all checks passed"
