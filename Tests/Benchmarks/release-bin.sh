# Sourced by the benchmark scripts: where the release binaries to measure are. With SPOOR_BIN set (a folder holding
# spoor and spoor-bench built beforehand, e.g. another checkout's .build/release), nothing is built: on the shared
# machine one release build serves every script, and a script measures exactly the build it was given. Otherwise
# the named products are built here. Call from the package root; prints the folder and says on stderr which it is.
release_bin() {
  if [ -n "${SPOOR_BIN:-}" ]; then
    local commit
    commit=$(git -C "${SPOOR_BIN%/.build/*}" rev-parse --short HEAD 2>/dev/null || echo "commit unknown")
    echo "binaries: $SPOOR_BIN ($commit; SPOOR_BIN, not rebuilt)" >&2
    echo "$SPOOR_BIN"
    return
  fi
  local product
  for product in "$@"; do
    swift build -c release --product "$product" 2>&1 | tail -n 1 >&2 || return 1
  done
  swift build -c release --show-bin-path
}
