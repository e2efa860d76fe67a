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

# The packages every build needs.
BUILD_PACKAGES=(libopenblas-dev libedit-dev zlib1g-dev pkg-config)

command -v swift >/dev/null || { echo "error: swift not found (expected under /opt/swift/usr/bin); install Swift 6 from swift.org" >&2; exit 1; }
