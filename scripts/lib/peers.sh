# Peer engines of scripts/bench, each in a virtual environment created on
# first use under $LORA_BENCH_VENVS (default ~/.cache/lora/bench-venvs) and
# reused. Source it; it defines `peer_python NAME` (prints the venv's python).
#   torch2  PyTorch 2 from PyPI. `pip install --no-deps torch` does not import
#           without the CUDA libraries (torch/__init__ preloads libcublasLt
#           when libtorch_global_deps.so fails to load), so the full wheel with
#           its dependencies is installed once (several GB).
#   jax     JAX on CPU (jax + jaxlib) with optax.
LORA_BENCH_VENVS="${LORA_BENCH_VENVS:-$HOME/.cache/lora/bench-venvs}"

peer_python() {
    local name="$1" dir="$LORA_BENCH_VENVS/$1" pkgs
    case "$name" in
        torch2) pkgs=(torch numpy) ;;
        jax) pkgs=(jax jaxlib optax numpy) ;;
        *) echo "error: unknown peer '$name' (torch2 or jax)" >&2; return 2 ;;
    esac
    if [ ! -f "$dir/.ready" ]; then
        echo "==> creating the $name peer environment in $dir (pip install ${pkgs[*]}; once)" >&2
        /usr/bin/python3 -m venv "$dir" >&2
        "$dir/bin/pip" install --quiet "${pkgs[@]}" >&2 || { echo "error: pip install ${pkgs[*]} failed in $dir; check the network to PyPI, or drop the peer with --peers" >&2; return 1; }
        touch "$dir/.ready"
    fi
    echo "$dir/bin/python"
}
