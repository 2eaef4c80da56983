#!/usr/bin/env bash
# scripts/browser_login.sh AUTHORIZATION_URL — stands in for a person at a browser.
#
# Opens the authorization URL, signs in on the provider's login page with BROWSER_USER /
# BROWSER_PASSWORD (default mcp-user / its password from keycloak/mcp-realm.json), accepts
# the consent page if one is shown (BROWSER_CONSENT=deny refuses it), and follows the redirects
# until they leave the provider. Then it delivers that last redirect — the client's loopback
# redirect URI, carrying ?code=…&state=… — with one more GET, as a browser would, and prints
# it on stdout. BROWSER_DELIVER=0 prints it without delivering it.
#
# Used as step 11's --browser-cmd and by scripts/test_realm.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
url="${1:?usage: browser_login.sh AUTHORIZATION_URL}"
user="${BROWSER_USER:-mcp-user}"
password="${BROWSER_PASSWORD:-$(jq -r --arg u "$user" '.users[] | select(.username == $u) | .credentials[0].value' "$ROOT/keycloak/mcp-realm.json")}"
jar="$(mktemp)"; body="$(mktemp)"; headers="$(mktemp)"
trap 'rm -f "$jar" "$body" "$headers"' EXIT
provider="$(sed -E 's#^(https?://[^/]+).*#\1#' <<<"$url")"

fetch() { # fetch URL [curl args…] → STATUS, LOCATION
  STATUS="$(curl -s -o "$body" -D "$headers" -w '%{http_code}' -c "$jar" -b "$jar" --max-time 15 "$@")"
  LOCATION="$(grep -i '^location:' "$headers" | head -1 | cut -d' ' -f2- | tr -d '\r' || true)"
  if [[ -n $LOCATION && $LOCATION == /* ]]; then LOCATION="$provider$LOCATION"; fi
}

fetch "$url"
for _ in $(seq 1 15); do
  if [[ $STATUS =~ ^30[1237]$ ]]; then
    if [[ $LOCATION != "$provider"/* ]]; then   # leaving the provider: the client's redirect URI
      echo "$LOCATION"
      if [[ ${BROWSER_DELIVER:-1} == 1 ]]; then curl -s -o /dev/null --max-time 15 "$LOCATION" || true; fi
      exit 0
    fi
    fetch "$LOCATION"
  elif [[ $STATUS == 200 ]] && grep -q 'id="kc-form-login"' "$body"; then
    if grep -q 'id="input-error"' "$body"; then echo "browser_login: the provider refused the login of $user" >&2; exit 1; fi
    action="$(grep -o 'action="[^"]*"' "$body" | head -1 | cut -d'"' -f2)"
    fetch "$provider$action" --data-urlencode "username=$user" --data-urlencode "password=$password"
  elif [[ $STATUS == 200 ]] && grep -q 'id="kc-oauth"' "$body"; then
    if [[ ${BROWSER_CONSENT:-accept} == deny ]]; then
      action="$(grep -o 'action="[^"]*/abort"' "$body" | cut -d'"' -f2)"
    else
      action="$(grep -o 'action="[^"]*/confirm"' "$body" | cut -d'"' -f2)"
    fi
    fetch "$provider$action" -X POST
  else
    echo "browser_login: stuck at HTTP $STATUS: $(head -c 300 "$body")" >&2
    exit 1
  fi
done
echo "browser_login: too many redirects" >&2
exit 1
