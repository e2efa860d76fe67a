# Shared set-up for scripts/run, scripts/test and scripts/bench: installs the
# Debian packages lora needs (when missing) and finds the Swift toolchain.
# Source it; it defines `need_packages`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"

# need_packages PKG...: apt-get install those not yet installed.
need_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "==> installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# need_reuters: the Reuters-21578 grain and corn ARFF files of Debian's weka
# package, for dataset("reuters-grain") and dataset("reuters-corn"). When they
# are neither in Debian's place (/usr/share/doc/weka/examples) nor in
# ${LORA_DATA:-~/.cache/lora/data}/reuters, the weka package is downloaded
# (not installed: no Java) and the four files are unpacked into the latter.
REUTERS_FILES=(ReutersGrain-train.arff ReutersGrain-test.arff ReutersCorn-train.arff ReutersCorn-test.arff)
need_reuters() {
    local dest="${LORA_DATA:-$HOME/.cache/lora/data}/reuters" dir f ok
    for dir in "${LORA_DATA:-}" "$dest" /usr/share/doc/weka/examples; do
        [ -n "$dir" ] || continue
        ok=1
        for f in "${REUTERS_FILES[@]}"; do [ -f "$dir/$f" ] || ok=0; done
        [ $ok -eq 1 ] && return 0
    done
    echo "==> fetching the Reuters-21578 ARFF files from Debian's weka package into $dest (Java is not installed)"
    local tmp sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    tmp="$(mktemp -d)"
    chmod 755 "$tmp"    # apt's _apt user writes the download here
    if ! (cd "$tmp" && apt-get download -qq weka >/dev/null 2>&1); then
        $sudo apt-get update -qq
        (cd "$tmp" && apt-get download -qq weka >/dev/null) || { rm -rf "$tmp"; echo "error: apt-get download weka failed" >&2; return 1; }
    fi
    dpkg -x "$tmp"/weka_*.deb "$tmp/x"
    mkdir -p "$dest"
    for f in "${REUTERS_FILES[@]}"; do
        cp "$tmp/x/usr/share/doc/weka/examples/$f" "$dest/.$f.part" && mv -f "$dest/.$f.part" "$dest/$f"
    done
    rm -rf "$tmp"
}

# The packages every build needs.
BUILD_PACKAGES=(libopenblas-dev libedit-dev zlib1g-dev pkg-config)

command -v swift >/dev/null || { echo "error: swift not found (expected under /opt/swift/usr/bin); install Swift 6 from swift.org" >&2; exit 1; }
