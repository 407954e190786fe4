#!/usr/bin/env bash
# hrform in GitLab CI: `hrform.sh plan` on a merge request (validate, plan,
# one merge-request note found by its marker and author and edited in
# place), `hrform.sh apply` on the default branch (apply the plan reviewed
# on the merged request, then write the outcome into the note's status line).
#
# Needs: bash, curl, jq. Env: CI_API_V4_URL, CI_PROJECT_ID, HRFORM_GITLAB_TOKEN (a
# project access token with `api` scope: the job token cannot write notes),
# plan: CI_MERGE_REQUEST_IID; apply: CI_COMMIT_SHA. HRFORM_DIR (default .),
# the providers' API key variables. $CURL and $HRFORM name the programs.
set -euo pipefail

HRFORM="${HRFORM:-hrform}"
CURL="${CURL:-curl}"
HRFORM_DIR="${HRFORM_DIR:-.}"
MARKER='<!-- hrform '
: "${CI_API_V4_URL:?}" "${CI_PROJECT_ID:?}" "${HRFORM_GITLAB_TOKEN:?HRFORM_GITLAB_TOKEN must be set}"
project="$CI_API_V4_URL/projects/$CI_PROJECT_ID"

# api METHOD URL [JSON-FILE]: one GitLab API call; the answer on stdout.
api() {
  local method="$1" url="$2"
  if [ $# -ge 3 ]; then
    "$CURL" -sS --fail -X "$method" -H "PRIVATE-TOKEN: $HRFORM_GITLAB_TOKEN" \
      -H "Content-Type: application/json" --data-binary "@$3" "$url"
  else
    "$CURL" -sS --fail -X "$method" -H "PRIVATE-TOKEN: $HRFORM_GITLAB_TOKEN" "$url"
  fi
}

# find_note IID: our note on merge request IID (marker AND the token's user).
find_note() {
  local me
  me="$(api GET "$CI_API_V4_URL/user" | jq -r .id)"
  api GET "$project/merge_requests/$1/notes?per_page=100&sort=asc" |
    jq -r --argjson me "$me" --arg marker "$MARKER" '
      map(select(.author.id == $me and (.body | startswith($marker)))) | first | .id // empty'
}

# put_note IID FILE: edit our note to FILE's text, or create it.
put_note() {
  local iid="$1" payload id
  payload="$(mktemp)"
  jq -Rs '{body: .}' "$2" >"$payload"
  id="$(find_note "$iid")"
  if [ -n "$id" ]; then
    api PUT "$project/merge_requests/$iid/notes/$id" "$payload" >/dev/null
  else
    id="$(api POST "$project/merge_requests/$iid/notes" "$payload" | jq -r .id)"
  fi
  rm -f "$payload"
  echo "$id"
}

case "${1:-}" in
  plan)
    : "${CI_MERGE_REQUEST_IID:?}"
    "$HRFORM" validate -C "$HRFORM_DIR" --format text
    md="$(mktemp)"
    set +e
    "$HRFORM" plan -C "$HRFORM_DIR" --output markdown --out plan.json >"$md"
    rc=$?
    set -e
    if [ "$rc" -ne 0 ]; then
      printf '%s{"format_version":1,"failed":true} -->\n**Status:** no plan: `hrform plan` exited %s; see the job log.\n' "$MARKER" "$rc" >"$md"
    fi
    id="$(put_note "$CI_MERGE_REQUEST_IID" "$md")"
    echo "hrform: note $id on !$CI_MERGE_REQUEST_IID" >&2
    rm -f "$md"
    exit "$rc"
    ;;
  apply)
    : "${CI_COMMIT_SHA:?}"
    mr="$(api GET "$project/repository/commits/$CI_COMMIT_SHA/merge_requests" |
      jq -c 'map(select(.state == "merged")) | first // empty')"
    if [ -z "$mr" ]; then
      echo "hrform: $CI_COMMIT_SHA is not a merged merge request: nothing applied" >&2
      exit 1
    fi
    iid="$(jq -r .iid <<<"$mr")"
    # The plan.json artifact of the hrform-plan job on the request's head.
    plan="$(mktemp -d)/plan.json"
    api GET "$project/jobs/artifacts/refs%2Fmerge-requests%2F$iid%2Fhead/raw/plan.json?job=hrform-plan" >"$plan"
    set +e
    "$HRFORM" apply -C "$HRFORM_DIR" "$plan" --yes --journal journal.jsonl
    rc=$?
    set -e
    case "$rc" in
      0) status="applied at $CI_COMMIT_SHA." ;;
      4) status="not applied: the reviewed plan is stale (exit 4). Nothing stale was applied. To recover: open a merge request (an empty commit will do), review its fresh plan, and merge it." ;;
      *) status="failed at $CI_COMMIT_SHA: \`hrform apply\` exited $rc; see the journal artifact." ;;
    esac
    id="$(find_note "$iid")"
    if [ -n "$id" ]; then
      body="$(mktemp)"
      api GET "$project/merge_requests/$iid/notes/$id" | jq -r .body |
        awk -v status="**Status:** $status" '!done && /^\*\*Status:\*\*/ { print status; done = 1; next } { print }' >"$body"
      put_note "$iid" "$body" >/dev/null
      rm -f "$body"
    fi
    exit "$rc"
    ;;
  *)
    echo "usage: hrform.sh plan|apply" >&2
    exit 64
    ;;
esac
