#!/usr/bin/env bash
# Refresh the vendored YASGUI (the SPARQL editor of /query) from npm: @zazuko/yasgui, the maintained
# fork of Triply's YASGUI. Copies its browser build (yasgui.min.js, yasgui.min.css) into
# src/kg/web/static/vendor/yasgui/ with a LICENSE and a VERSION file (version, tarball, checksums).
#
#   scripts/vendor-yasgui.sh            # the pinned version below
#   scripts/vendor-yasgui.sh 4.7.0      # another one: then pin it as VERSION below, run the
#                                       # browser tests (tests/test_web_console.py) and commit
#
# Needs npm (only `npm pack`: nothing is installed, no package script runs) and python3.
# After a refresh the browser tests also check the page's Content-Security-Policy still fits: it allows,
# by hash, the two <style> texts YASGUI's results table adds (src/kg/web/console.py).
set -euo pipefail

VERSION="${1:-4.6.2}"
PACKAGE="@zazuko/yasgui"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/src/kg/web/static/vendor/yasgui"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --json --silent "$PACKAGE@$VERSION" > pack.json
read -r tarball integrity < <(python3 -c 'import json, sys; p = json.load(sys.stdin)[0]; print(p["filename"], p["integrity"])' < pack.json)
tar -xzf "$tarball"
build="$work/package/build"
for file in yasgui.min.js yasgui.min.css; do
  [[ -s "$build/$file" ]] || { echo "error: $PACKAGE@$VERSION has no build/$file" >&2; exit 1; }
done
# The source map (3.6 MB) is not vendored: a browser asks for yasgui.min.js.map (a 404 here) only
# with its developer tools open.

# The licence: the package's own LICENSE file when it ships one. @zazuko/yasgui 4.x ships none, only
# `"license": "MIT"` in package.json, so then the MIT text is written for the authors package.json
# names, followed by the third-party packages the bundle contains (read from its source map).
python3 - "$work/package" "$build/yasgui.min.js.map" "$work/LICENSE" <<'PY'
import json, pathlib, re, sys

package, source_map, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
meta = json.loads((package / "package.json").read_text())
shipped = [p for p in package.iterdir() if re.fullmatch(r"(?i)licen[cs]e(\.md|\.txt)?", p.name)]
if shipped:
    text = shipped[0].read_text()
else:
    if meta.get("license") != "MIT":
        sys.exit(f"error: {meta['name']} ships no LICENSE and is not MIT ({meta.get('license')!r}): check by hand")
    author = meta["author"] if isinstance(meta["author"], str) else meta["author"]["name"]
    holders = [author] + [c["name"] if isinstance(c, dict) else c for c in meta.get("contributors", [])]
    text = f"""{meta['name']} {meta['version']} ({meta['homepage']})

The npm package ships no LICENSE file; its package.json declares "license": "MIT". This is the MIT
License for the authors package.json names.

MIT License

Copyright (c) {', '.join(holders)}

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense,
and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so,
subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial
portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT
LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN
NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY,
WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE
SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""
sources = json.loads(source_map.read_text())["sources"]
bundled = sorted({m[1] for s in sources if (m := re.search(r"node_modules/((?:@[^/]+/)?[^/]+)", s))})
text += (
    "\n\nThird-party packages bundled in yasgui.min.js (from its source map), each under its own licence"
    " (see https://www.npmjs.com/package/<name>):\n\n" + "\n".join(f"  {name}" for name in bundled) + "\n"
)
out.write_text(text)
PY

mkdir -p "$DEST"
rm -f "$DEST"/*
cp "$build/yasgui.min.js" "$build/yasgui.min.css" "$work/LICENSE" "$DEST/"
{
  echo "$PACKAGE $VERSION (npm pack $tarball, integrity $integrity)"
  echo "refreshed by scripts/vendor-yasgui.sh"
  echo
  (cd "$DEST" && sha256sum yasgui.min.js yasgui.min.css)
} > "$DEST/VERSION"
echo "vendored $PACKAGE@$VERSION into ${DEST#"$ROOT"/}:"
ls -l "$DEST"
