#!/usr/bin/env bash
# Checks what `mvn deploy` put into a file repository (argument: its directory): every module the reactor publishes
# is there with its POM and, for jars, the main, sources and javadoc jars; the applications (modules that set
# maven.deploy.skip: the CLI, the benchmarks, the examples) are not; every jar has its own Automatic-Module-Name and
# no two published jars contain the same package (no split packages).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(cd "${1:?usage: .ci/check-deployed.sh DEPLOY_REPO_DIR}" && pwd)"
group_dir="$repo/$(sed -n 's:^  <groupId>\(.*\)</groupId>:\1:p' pom.xml | head -1 | tr . /)"
version="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1)"
fail() { echo "check-deployed: $*" >&2; exit 1; }
[ -d "$group_dir" ] || fail "nothing deployed under $group_dir"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
published=0
for module in $(sed -n 's:^ *<module>\(.*\)</module>:\1:p' pom.xml); do
  pom="$module/pom.xml"
  artifact="$(sed -n 's:^  <artifactId>\(.*\)</artifactId>:\1:p' "$pom" | head -1)"
  dir="$group_dir/$artifact/$version"
  if grep -q '<maven.deploy.skip>true</maven.deploy.skip>' "$pom"; then
    [ ! -e "$group_dir/$artifact" ] || fail "$artifact is an application and must not be deployed"
    continue
  fi
  [ -d "$dir" ] || fail "$artifact was not deployed"
  ls "$dir"/"$artifact"-*.pom >/dev/null 2>&1 || fail "$artifact: no POM"
  if grep -q '<packaging>pom</packaging>' "$pom"; then
    published=$((published + 1))
    continue
  fi
  for kind in "" -sources -javadoc; do
    ls "$dir"/"$artifact"-*[0-9]"$kind".jar >/dev/null 2>&1 || fail "$artifact: no ${kind:-main} jar"
  done
  main="$(ls "$dir"/"$artifact"-*[0-9].jar | tail -1)"
  (cd "$tmp" && rm -rf x && mkdir x && cd x && jar xf "$main" META-INF/MANIFEST.MF)
  name="$(tr -d '\r' < "$tmp/x/META-INF/MANIFEST.MF" | sed -n 's/^Automatic-Module-Name: //p')"
  [[ "$name" =~ ^[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)*$ ]] || fail "$artifact: bad Automatic-Module-Name '$name'"
  echo "$name $artifact" >> "$tmp/names"
  jar tf "$main" | grep '\.class$' | grep -v '^META-INF/' | sed 's:/[^/]*$::' | sort -u \
    | sed "s:^:$artifact :" >> "$tmp/packages"
  published=$((published + 1))
done
dupes="$(cut -d' ' -f1 "$tmp/names" | sort | uniq -d)"
[ -z "$dupes" ] || fail "Automatic-Module-Name used twice: $dupes"
split="$(cut -d' ' -f2 "$tmp/packages" | sort | uniq -d)"
[ -z "$split" ] || fail "packages in more than one published jar: $(echo "$split" | tr '/' '.' | tr '\n' ' ') ($(grep -F "$(echo "$split" | head -1)" "$tmp/packages" | cut -d' ' -f1 | tr '\n' ' '))"
echo "check-deployed: $published published modules complete (pom, jar, sources, javadoc), module names unique, no split packages; applications not deployed"
