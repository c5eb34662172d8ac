# Sourced by scripts/arm64.sh and scripts/trixie.sh (POSIX sh).
#
#   private_dir NAME DIR VAR
#
# Make DIR (a download directory under /var/tmp, where every user may
# create files) and check it is fit to run programs from as root: root's or
# this user's, writable by no one else, not a symlink. Otherwise say so
# (NAME: the calling script; VAR: the variable that moves DIR) and exit 77,
# the scripts' "not here".
private_dir() {
  mkdir -p "$2" 2>/dev/null || true
  if [ -L "$2" ] || [ ! -d "$2" ] ||
    ! { [ "$(stat -c %u "$2")" = 0 ] || [ "$(stat -c %u "$2")" = "$(id -u)" ]; } ||
    [ -n "$(find "$2" -maxdepth 0 -perm /022)" ]; then
    echo "$1: $2 is not root's or $(id -un)'s alone ($(stat -c '%U, mode %a' "$2" 2>/dev/null)): not using what it holds; remove it or set $3" >&2
    exit 77
  fi
}
