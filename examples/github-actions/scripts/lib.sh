#!/usr/bin/env bash
# Shared helpers of the hrform CI scripts. Sourced, not run.
#
# Needs: bash, jq, gh (authenticated by GH_TOKEN), and GH_REPO=owner/name.
# The hrform binary is $HRFORM (default: hrform on PATH).

set -euo pipefail

HRFORM="${HRFORM:-hrform}"
# The hidden first line of every comment hrform writes (plan --output markdown).
HRFORM_MARKER='<!-- hrform '
# Who writes the comments: the login of the workflow's token. With the
# default GITHUB_TOKEN that is github-actions[bot]; with another token, set it.
HRFORM_COMMENT_AUTHOR="${HRFORM_COMMENT_AUTHOR:-github-actions[bot]}"

# GH_REPO is checked by the functions that call the API: the jobs holding
# HR keys call none of them (they have no token that could write).

# find_comment NUMBER: the id of the first comment on issue or pull request
# NUMBER that starts with the hrform marker AND is written by the token's
# user; nothing when there is none. A comment someone else wrote that
# carries the marker (a copy, a forgery) is never picked.
find_comment() {
  : "${GH_REPO:?GH_REPO (owner/name) must be set}"
  gh api --paginate "repos/$GH_REPO/issues/$1/comments?per_page=100" |
    jq -rs --arg author "$HRFORM_COMMENT_AUTHOR" --arg marker "$HRFORM_MARKER" '
      add // [] | map(select(.user.login == $author and (.body | startswith($marker))))
      | first | .id // empty'
}

# json_body FILE: {"body": <contents of FILE>} on stdout.
json_body() {
  jq -Rs '{body: .}' "$1"
}

# upsert_comment NUMBER FILE: edit our comment on NUMBER to FILE's text, or
# create it. Prints the comment's id.
upsert_comment() {
  local number="$1" file="$2" id payload
  payload="$(mktemp)"
  json_body "$file" >"$payload"
  id="$(find_comment "$number")"
  if [ -n "$id" ]; then
    gh api -X PATCH "repos/$GH_REPO/issues/comments/$id" --input "$payload" >/dev/null
  else
    id="$(gh api -X POST "repos/$GH_REPO/issues/$number/comments" --input "$payload" | jq -r .id)"
  fi
  rm -f "$payload"
  echo "$id"
}

# set_status NUMBER TEXT: replace the status line of our comment on NUMBER
# (the line starting **Status:**) with TEXT. Returns 1 when there is no
# comment of ours.
set_status() {
  local number="$1" text="$2" id body payload
  id="$(find_comment "$number")"
  if [ -z "$id" ]; then
    echo "hrform: no hrform comment by $HRFORM_COMMENT_AUTHOR on #$number" >&2
    return 1
  fi
  body="$(mktemp)"
  payload="$(mktemp)"
  gh api "repos/$GH_REPO/issues/comments/$id" | jq -r .body |
    awk -v status="**Status:** $text" '
      !done && /^\*\*Status:\*\*/ { print status; done = 1; next }
      { print }' >"$body"
  json_body "$body" >"$payload"
  gh api -X PATCH "repos/$GH_REPO/issues/comments/$id" --input "$payload" >/dev/null
  rm -f "$body" "$payload"
}

# marker_digest FILE: the plan_sha256 of the hrform marker on FILE's first
# line (sha256:<64 hex>); nothing when the line is no marker or has none.
marker_digest() {
  head -n 1 "$1" | sed -n 's/^<!-- hrform \(.*\) -->$/\1/p' |
    jq -r 'try .plan_sha256 catch empty | strings | select(test("^sha256:[0-9a-f]{64}$"))' 2>/dev/null || true
}

# exit_meaning CODE: what an hrform exit code means, in words.
exit_meaning() {
  case "$1" in
    0) echo "success" ;;
    1) echo "error (bad manifests, API failure, ...)" ;;
    2) echo "changes present" ;;
    3) echo "blocked by a safety rule" ;;
    4) echo "the reviewed plan is stale" ;;
    5) echo "partial apply: some changes failed" ;;
    6) echo "the plan file is not the reviewed plan (SHA-256 differs)" ;;
    64) echo "usage error" ;;
    *) echo "unexpected exit code" ;;
  esac
}
