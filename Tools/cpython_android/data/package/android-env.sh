# Upstream's android-env.sh, as this package's android.py provides it: source
# it with HOST set (and ANDROID_HOME for an Android host; ANDROID_API_LEVEL,
# default 24, optional), and the compiler variables (CC, CFLAGS, LDFLAGS,
# PKG_CONFIG_LIBDIR, ...) for building against this package's prefix are
# exported.  They are `android.py env`'s output: one source of truth.
#
#     HOST=aarch64-linux-android . ./android-env.sh
#
# bash and zsh find this file's directory themselves; other shells need
# ANDROID_PACKAGE_DIR set to it.
: "${HOST:?}"
_android_package_dir="${ANDROID_PACKAGE_DIR:-$(dirname -- "${BASH_SOURCE:-$0}")}"
_android_exports="$(python3 "$_android_package_dir/android.py" env "$HOST")" || {
    echo "android-env.sh: \`android.py env $HOST\` failed (above)" >&2
    unset _android_package_dir _android_exports
    return 1 2>/dev/null || exit 1
}
eval "$_android_exports"
unset _android_package_dir _android_exports
