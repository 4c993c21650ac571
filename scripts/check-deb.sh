#!/bin/bash
# Builds the Debian packages from a copy of the tree, unpacks them into a
# clean folder (nothing from the build tree on any path) and compiles
# examples/embed against the unpacked libbudgetopt-dev with pkg-config, then
# runs it and the unpacked program. CI runs it; so can anyone:
#   scripts/check-deb.sh [WORKDIR]      (default: a temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
fail() { echo "check-deb: FAIL: $*" >&2; exit 1; }
command -v dpkg-buildpackage >/dev/null || fail "dpkg-buildpackage missing (apt-get install dpkg-dev debhelper)"

# A copy without build folders, so the packages are built from sources only.
rm -rf "$work/src" "$work/root" && mkdir -p "$work/src" "$work/root"
tar -C "$src" --exclude='./build*' --exclude='./obj-*' --exclude='./.git' -cf - . | tar -C "$work/src" -xf -
echo "== dpkg-buildpackage in $work/src"
(cd "$work/src" && dpkg-buildpackage -us -uc -b) > "$work/build.log" 2>&1 ||
	{ tail -50 "$work/build.log" >&2; fail "dpkg-buildpackage (log: $work/build.log)"; }
ver=$(cd "$work/src" && dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for p in budgetopt libbudgetopt0 libbudgetopt-dev python3-budgetopt; do
	deb=$work/${p}_${ver}_${arch}.deb
	[ "$p" = python3-budgetopt ] && deb=$work/${p}_${ver}_all.deb
	[ -f "$deb" ] || fail "$deb was not built"
	dpkg-deb -x "$deb" "$work/root"
	echo "ok: $(basename "$deb"): $(dpkg-deb -c "$deb" | grep -vc '/$') files"
done
root=$work/root
libdir=$root/usr/lib/$multiarch
[ "$(readelf -d "$libdir/libbudgetopt.so.0" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')" = libbudgetopt.so.0 ] ||
	fail "libbudgetopt0 does not carry libbudgetopt.so.0"
dpkg-deb -I "$work/libbudgetopt0_${ver}_${arch}.deb" shlibs | grep -q "^libbudgetopt 0 libbudgetopt0" ||
	fail "libbudgetopt0 has no shlibs entry"
ls "$root/usr/share/man/man1/budgetopt.1.gz" > /dev/null || fail "budgetopt(1) is not in the budgetopt package"
ls "$root/usr/share/man/man3/budgetopt.3.gz" > /dev/null || fail "budgetopt(3) is not in libbudgetopt-dev"

# The program from the package runs.
"$root/usr/bin/budgetopt" --version | head -1 | grep -q "^budgetopt " || fail "the packaged program does not run"

# examples/embed against the unpacked -dev package, through pkg-config.
export PKG_CONFIG_PATH=$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root
flags=$(pkg-config --cflags --libs budgetopt) || fail "pkg-config does not find budgetopt.pc"
case $flags in *"$root"*) ;; *) fail "pkg-config flags do not point into the unpacked package: $flags" ;; esac
# shellcheck disable=SC2086
cc -std=c11 -Wall -Werror -o "$work/embed" "$src/examples/embed/embed.c" $flags -lm ||
	fail "examples/embed does not build against libbudgetopt-dev"
LD_LIBRARY_PATH=$libdir ldd "$work/embed" | grep -q "libbudgetopt.so.0 => $libdir/" ||
	fail "embed does not load the packaged libbudgetopt.so.0"
LD_LIBRARY_PATH=$libdir "$work/embed" tpe | grep -q "best y = " || fail "embed built against the package gives no answer"
# The Python package from the package, over the packaged library.
if /usr/bin/python3 -c "import cffi" 2>/dev/null; then
	(cd "$work" && PYTHONPATH=$root/usr/lib/python3/dist-packages BUDGETOPT_LIBRARY=$libdir/libbudgetopt.so.0 \
		/usr/bin/python3 -c "import budgetopt; assert budgetopt.__file__.startswith('$root/'), budgetopt.__file__") ||
		fail "python3-budgetopt does not import"
fi
echo "check-deb: ok: packages built, unpacked in $root, examples/embed built with pkg-config and run"
