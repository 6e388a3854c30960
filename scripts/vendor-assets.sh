#!/usr/bin/env bash
# Re-fetch the console's third-party browser assets from the npm registry, at the pinned
# versions below, into voucher_service/console/static/vendor/ (with their licence files), and
# rewrite the README there (file, version, source, licence, sha256). The files are committed:
# a fresh clone, a wheel and the service itself never need npm or the internet.
# Usage: scripts/vendor-assets.sh   (needs npm; run from anywhere)
set -euo pipefail

HTMX=4.0.1
ECHARTS=6.1.0
SWAGGER_UI=5.35.0
REDOC=2.5.4   # Redoc 3 reports telemetry by default and wants an ES module; 2.x does neither

root="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$root/voucher_service/console/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# fetch NAME VERSION DIR LICENCE FILE... : unpack the package's tarball, copy FILEs into DIR.
rows=()
fetch() {
    local name=$1 version=$2 dir=$3 licence=$4
    shift 4
    (cd "$work" && npm pack --silent "$name@$version" >/dev/null)
    mkdir -p "$work/$name" && tar -xzf "$work/${name//@/}-$version.tgz" -C "$work/$name"
    rm -rf "${vendor:?}/$dir" && mkdir -p "$vendor/$dir"
    for file in "$@"; do
        cp "$work/$name/package/$file" "$vendor/$dir/"
        local base sum
        base=$(basename "$file")
        sum=$(sha256sum "$vendor/$dir/$base" | cut -c1-64)
        rows+=("| \`$dir/$base\` | $name $version | npm \`$name@$version\`: \`package/$file\` | $licence | \`$sum\` |")
    done
}

fetch htmx.org "$HTMX" htmx "0BSD (LICENSE)" dist/htmx.min.js LICENSE
fetch echarts "$ECHARTS" echarts "Apache-2.0 (LICENSE, NOTICE, LICENSE-d3)" \
    dist/echarts.min.js LICENSE NOTICE licenses/LICENSE-d3
fetch swagger-ui-dist "$SWAGGER_UI" swagger-ui "Apache-2.0 (LICENSE, NOTICE, bundle notices)" \
    swagger-ui-bundle.js swagger-ui.css favicon-32x32.png \
    swagger-ui-bundle.js.LICENSE.txt LICENSE NOTICE
fetch redoc "$REDOC" redoc "MIT (LICENSE, bundle notices)" \
    bundles/redoc.standalone.js bundles/redoc.standalone.js.LICENSE.txt LICENSE

{
    echo "# Vendored browser assets"
    echo
    echo "Served by the service itself under \`/static/vendor/\`, so the console and \`/docs\` work"
    echo "with no internet. Do not edit these files: re-fetch them with \`scripts/vendor-assets.sh\`"
    echo "(or \`make vendor-assets\`), which pins the versions and rewrites this table."
    echo
    echo "| file | package | source | licence | sha256 |"
    echo "| --- | --- | --- | --- | --- |"
    printf '%s\n' "${rows[@]}"
} >"$vendor/README.md"
echo "vendored into $vendor:"
du -sh "$vendor"/*
