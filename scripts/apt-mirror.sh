#!/usr/bin/env bash
# Prints the Debian mirror this machine's apt already uses, for the roots and downloads provision.sh makes: the
# first enabled `deb` source whose suites are not a security archive, from $APT_ETC/sources.list and
# $APT_ETC/sources.list.d/*.list (one-line form) and *.sources (deb822). TEROK_APT_MIRROR overrides it.
# Exit 1 with the places looked at when there is none.
set -euo pipefail
if [ -n "${TEROK_APT_MIRROR:-}" ]; then
  printf '%s\n' "${TEROK_APT_MIRROR%/}"
  exit 0
fi
etc=${APT_ETC:-/etc/apt}
shopt -s nullglob
lists=("$etc/sources.list" "$etc"/sources.list.d/*.list)
sources=("$etc"/sources.list.d/*.sources)

found=$(
  for f in "${lists[@]}"; do
    [ -f "$f" ] || continue
    # deb [options] URI SUITE COMPONENT...; options may hold spaces inside the brackets.
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && $3 !~ /-security$/ { print $2 }'
  done
  for f in "${sources[@]}"; do
    # deb822: stanzas separated by blank lines; a field's continuation lines start with a space.
    awk '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled != "no" && uris != "" && suites !~ /^[^ ]*-security( |$)/) {
          split(uris, u, " "); print u[1]
        }
        types = ""; uris = ""; suites = ""; enabled = ""; field = ""
      }
      /^#/ { next }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]/ { if (field == "uris") uris = uris " " $1; next }
      {
        name = tolower($1); sub(/:$/, "", name); $1 = ""; value = $0; sub(/^ +/, "", value); field = name
        if (name == "types") types = value
        else if (name == "uris") uris = value
        else if (name == "suites") suites = value
        else if (name == "enabled") enabled = tolower(value)
      }
      END { flush() }
    ' "$f"
  done
)
mirror=$(printf '%s\n' "$found" | sed -n '1{s:/*$::;p}')
if [ -z "$mirror" ]; then
  echo "apt-mirror: no Debian mirror in ${lists[*]} ${sources[*]:-$etc/sources.list.d/*.sources}; set TEROK_APT_MIRROR to one" >&2
  exit 1
fi
printf '%s\n' "$mirror"
