#!/usr/bin/env bash
# test-sdk.sh — the plugin SDK as a third party uses it: install into a
# temporary root, extract the "Write a plugin" example from README.md, build
# it out of tree with `pkg-config talkingbits-plugin`, and load it with the
# installed talkingbits-inspect.
set -euo pipefail
build=$1
source=$2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

DESTDIR="$tmp/root" meson install -C "$build" --no-rebuild --quiet >/dev/null

pc=$(find "$tmp/root" -name talkingbits-plugin.pc | head -n 1)
[ -n "$pc" ] || fail "talkingbits-plugin.pc was not installed"
header=$(find "$tmp/root" -path '*/include/talkingbits/talkingbits-plugin.h' | head -n 1)
[ -n "$header" ] || fail "talkingbits-plugin.h was not installed"
inspect=$(find "$tmp/root" -path '*/bin/talkingbits-inspect' | head -n 1)
[ -x "$inspect" ] || fail "talkingbits-inspect was not installed"
find "$tmp/root" -path '*/talkingbits/plugins/tool-clock.so' | grep -q . \
  || fail "the plugins were not installed"
find "$tmp/root" -path '*/talkingbits/talkingbits.conf' | grep -q . \
  || fail "the sample config was not installed"
find "$tmp/root" -path '*/systemd/system/talkingbits.service' | grep -q . \
  || fail "the systemd unit was not installed"

# The .pc file names paths under the real prefix; relocate a copy of it to
# the temporary root (--define-variable would relocate GLib's too).
mkdir -p "$tmp/pkgconfig"
sed "s|^prefix=|prefix=$tmp/root|" "$pc" > "$tmp/pkgconfig/talkingbits-plugin.pc"
pkgconf() { PKG_CONFIG_PATH="$tmp/pkgconfig" pkg-config "$@"; }

mkdir -p "$tmp/example" "$tmp/plugins"
awk '/^<!-- plugin-example: tts-beep.c -->/ { found = 1; next }
     found && /^```c/ { inside = 1; next }
     inside && /^```/ { exit }
     inside { print }' "$source/README.md" > "$tmp/example/tts-beep.c"
[ -s "$tmp/example/tts-beep.c" ] || fail "no plugin example found in README.md"

# shellcheck disable=SC2046
cc -shared -fPIC -fvisibility=hidden -Wall -Wextra -Wno-unused-parameter -Werror \
   -o "$tmp/plugins/tts-beep.so" "$tmp/example/tts-beep.c" \
   $(pkgconf --cflags --libs talkingbits-plugin) -lm

exported=$(nm -D --defined-only "$tmp/plugins/tts-beep.so" | awk '$2 == "T" { print $3 }')
[ "$exported" = "tb_plugin_describe" ] || fail "the example exports: $exported"

out=$(TALKINGBITS_PLUGIN_PATH="$tmp/plugins" "$inspect" --config /dev/null)
echo "$out"
echo "$out" | grep -Eq "^tts +beep +1\.0\.0 +$tmp/plugins/tts-beep\.so +Says every word as a beep$" \
  || fail "talkingbits-inspect does not list the example plugin"
echo "$out" | grep -q "no file skipped" || fail "a file was skipped"

out=$(TALKINGBITS_PLUGIN_PATH="$tmp/plugins" "$inspect" --config /dev/null beep)
echo "$out"
echo "$out" | grep -Eq "frequency +integer +default: 440  range: 100 to 4000" \
  || fail "talkingbits-inspect does not show the example's config key"
echo "ok: the README plugin example builds out of tree and loads"
