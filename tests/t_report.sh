# hps report: a self-contained HTML report of two studies, rendered by a real browser
# (Debian's chromium, headless). Checks: the file fetches nothing (no http(s):// at all,
# no script, only #anchors as links, a CSP of default-src 'none'); chromium logs no
# console message (CSP violations and script errors are logged as CONSOLE lines); the
# screenshot of the page is not blank; and every plot, laid out alone at a known
# position on a second page, has drawn pixels, and data-coloured ones unless it says
# it has nothing to show. Bad input: an unknown study or a missing file exits 2.
. "$(dirname "$0")/lib.sh"
# KEEP_REPORT=DIR keeps the pages and screenshots there, to look at.
[ -n "${KEEP_REPORT:-}" ] && trap 'cp "$TMP"/*.png "$TMP"/*.html "$KEEP_REPORT"/; cleanup' EXIT
CHROMIUM=$(command -v chromium || true)
[ -n "$CHROMIUM" ] || { echo "SKIP: chromium is not installed (scripts/deps.sh installs it)"; exit 0; }
DB=$TMP/r.db
cat >"$TMP/a.yaml" <<'Y'
study: rep-a
n_trials: 40
objective: {type: synthetic, function: sphere, steps: 5}
space:
  x: {type: float, low: -5, high: 5}
  lr: {type: float, low: 1.0e-4, high: 1, log: true}
  n: {type: int, low: 1, high: 8}
  kind: {type: categorical, choices: [adam, sgd, "<b>rms</b>"]}
sampler: {type: random, seed: 3}
pruner: {type: median, n_startup_trials: 5}
Y
write_study "$TMP/b.yaml" rep-b 20 "objective: {type: synthetic, function: branin, fail_rate: 0.2}" \
    "sampler: {type: random, seed: 5}"
"$HPS" run "$TMP/a.yaml" -j 2 --db "$DB" -q >/dev/null || fail "run a"
"$HPS" run "$TMP/b.yaml" -j 2 --db "$DB" -q >/dev/null || fail "run b"

expect_err 2 "no study 'nope' (studies: rep-a, rep-b)" "$HPS" report nope --db "$DB" -o "$TMP/x.html"
expect_err 2 "" "$HPS" report --db "$TMP/missing.db" -o "$TMP/x.html"
# -o on something not a regular file (a FIFO here; as root /dev/full was once replaced by
# the rename of an atomic write): refused, left as it was
mkfifo "$TMP/fifo"
expect_err 1 "fifo: not a regular file" "$HPS" report --db "$DB" -o "$TMP/fifo"
[ -p "$TMP/fifo" ] || fail "report -o replaced a FIFO"
[ ! -e "$TMP/x.html" ] && [ ! -e "$TMP/missing.db" ] || fail "a failed report wrote a file"
"$HPS" report --db "$DB" -o "$TMP/report.html" 2>"$TMP/err" || fail "report: $(cat "$TMP/err")"
"$HPS" report rep-a --db "$DB" -o "$TMP/one.html" 2>"$TMP/err" || fail "report rep-a"
! grep -q 'data-plot="board"' "$TMP/one.html" || fail "one study: no comparison expected"

# Static: nothing to fetch, nothing to run, the DB's strings escaped.
H=$TMP/report.html
! grep -Eiq 'https?:|<script|<link|<img|<iframe|@import|url\(|src=' "$H" \
    || fail "external reference: $(grep -Eio '.{30}(https?:|<script|<link|<img|<iframe|@import|url\(|src=).{30}' "$H" | head -3)"
! grep -Eo 'href="[^"]*"' "$H" | grep -qv 'href="#' || fail "a link leaves the page"
grep -q "default-src 'none'" "$H" || fail "no CSP"
grep -q '&lt;b&gt;rms&lt;/b&gt;' "$H" && ! grep -q '<b>rms' "$H" || fail "a choice not escaped"
grep -q 'synthetic failure' "$H" || fail "the FAIL reason is not in the table"

# The page in chromium: no console message, and not blank.
chrome() { timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
               --enable-logging=stderr --v=0 "$@"; }
chrome --screenshot="$TMP/page.png" --window-size=1280,3000 "file://$H" 2>"$TMP/chrome.log" \
    || fail "chromium: $(tail -5 "$TMP/chrome.log")"
! grep -q ':CONSOLE' "$TMP/chrome.log" || fail "console: $(grep ':CONSOLE' "$TMP/chrome.log" | head -3)"

# Every plot alone at a known position (shelf-packed from its width and height), with
# the report's own style sheet; then the pixels of each position.
python3 - "$H" "$TMP/plots.html" "$TMP/plots.json" <<'PY' || fail "layout"
import json, re, sys
html = open(sys.argv[1]).read()
css = re.search(r'<style>(.*?)</style>', html, re.S).group(1)
svgs = re.findall(r'<svg class="plot".*?</svg>', html, re.S)
x = y = row = 0
cells = []
for s in svgs:
    w, h = (int(v) for v in re.search(r'width="(\d+)" height="(\d+)"', s).groups())
    if x + w > 1240:
        x, y, row = 0, y + row + 10, 0
    kind = re.search(r'data-plot="(\w+)"', s).group(1)
    cells.append({'kind': kind, 'x': x, 'y': y, 'w': w, 'h': h, 'empty': 'class="empty"' in s})
    x, row = x + w + 10, max(row, h)
page = ['<!DOCTYPE html><html><head><meta charset="utf-8"><style>', css,
        'body{margin:0}div{position:absolute}svg.plot{border:0}</style></head><body>']
for c, s in zip(cells, svgs):
    page.append('<div style="left:%dpx;top:%dpx">%s</div>' % (c['x'], c['y'], s))
page.append('</body></html>')
open(sys.argv[2], 'w').write(''.join(page))
json.dump({'cells': cells, 'height': y + row}, open(sys.argv[3], 'w'))
PY
height=$(python3 -c "import json; print(json.load(open('$TMP/plots.json'))['height'])")
chrome --screenshot="$TMP/plots.png" --window-size=1240,"$height" "file://$TMP/plots.html" \
    2>"$TMP/chrome2.log" || fail "chromium (plots): $(tail -5 "$TMP/chrome2.log")"
! grep -q ':CONSOLE' "$TMP/chrome2.log" || fail "console (plots): $(grep ':CONSOLE' "$TMP/chrome2.log" | head -3)"

python3 - "$TMP/page.png" "$TMP/plots.png" "$TMP/plots.json" <<'PY' || fail "pixels"
import json, struct, sys, zlib
from collections import Counter

def png(path):
    """RGB rows of an 8-bit non-interlaced RGB/RGBA PNG (what chromium writes)."""
    d = open(path, 'rb').read()
    pos, idat = 8, b''
    while pos < len(d):
        n, = struct.unpack('>I', d[pos:pos + 4])
        t, c = d[pos + 4:pos + 8], d[pos + 8:pos + 8 + n]
        if t == b'IHDR':
            w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', c)
            assert depth == 8 and ctype in (2, 6) and not interlace, (depth, ctype, interlace)
        elif t == b'IDAT':
            idat += c
        pos += 12 + n
    raw, bpp = zlib.decompress(idat), 3 if ctype == 2 else 4
    stride, prev, rows = w * bpp, bytearray(w * bpp), []
    for r in range(h):
        f, cur = raw[r * (stride + 1)], bytearray(raw[r * (stride + 1) + 1:(r + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride): cur[i] = (cur[i] + cur[i - bpp]) & 255
        elif f == 2:
            cur = bytearray((a + b) & 255 for a, b in zip(cur, prev))
        elif f == 3:
            for i in range(stride):
                cur[i] = (cur[i] + ((cur[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
        elif f == 4:
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(cur) if bpp == 3 else bytes(v for i, v in enumerate(cur) if i % 4 != 3))
        prev = cur
    return w, h, rows

def count(rows, x0, y0, w, h):
    """(pixels not white, pixels of a saturated colour) in a box."""
    drawn = colour = 0
    for row in rows[y0:y0 + h]:
        seg = row[3 * x0:3 * (x0 + w)]
        for i in range(0, len(seg), 3):
            r, g, b = seg[i], seg[i + 1], seg[i + 2]
            if r < 235 or g < 235 or b < 235:
                drawn += 1
                if max(r, g, b) - min(r, g, b) > 60:
                    colour += 1
    return drawn, colour

w, h, rows = png(sys.argv[1])
drawn, colour = count(rows, 0, 0, w, h)
assert drawn > 20000 and colour > 2000, 'page looks blank: %d drawn, %d coloured' % (drawn, colour)
spec = json.load(open(sys.argv[3]))
kinds = Counter(c['kind'] for c in spec['cells'])
want = {'board': 1, 'history': 2, 'intermediate': 2, 'importance': 2, 'parallel': 2, 'slice': 6}
assert kinds == want, 'plots: %s, want %s' % (dict(kinds), want)
empty = [c['kind'] for c in spec['cells'] if c['empty']]
assert empty == ['intermediate'], 'plots with nothing to show: %s (want one: rep-b reports no steps)' % empty
w, h, rows = png(sys.argv[2])
for c in spec['cells']:
    drawn, colour = count(rows, c['x'], c['y'], c['w'], c['h'])
    need = 0 if c['empty'] else 40
    assert drawn > 500 and colour >= need, '%s at %d,%d: %d drawn, %d coloured' % (
        c['kind'], c['x'], c['y'], drawn, colour)
print('ok: %d plots drawn' % len(spec['cells']))
PY
echo "ok: report of 2 studies renders in chromium, no console message, every plot drawn"
