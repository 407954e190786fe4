#!/usr/bin/env bash
# Scheduled drift check: plan with --detailed-exitcode. Changes (exit 2)
# open one issue, or update the one already open; no changes (exit 0)
# close it. The issue is found by its label and the token's user.
#
# Env: GH_REPO, HRFORM_DIR (default .), DRIFT_LABEL (default hrform-drift),
# the providers' API key variables.
source "$(dirname "$0")/lib.sh"

HRFORM_DIR="${HRFORM_DIR:-.}"
DRIFT_LABEL="${DRIFT_LABEL:-hrform-drift}"
md="$(mktemp)"

set +e
"$HRFORM" plan -C "$HRFORM_DIR" --detailed-exitcode --output markdown >"$md"
rc=$?
set -e
if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
  echo "hrform: plan exited $rc ($(exit_meaning "$rc"))" >&2
  exit "$rc"
fi

issue="$(gh api "repos/$GH_REPO/issues?state=open&labels=$DRIFT_LABEL&per_page=100" |
  jq -r --arg author "$HRFORM_COMMENT_AUTHOR" 'map(select(.user.login == $author and (.pull_request | not))) | first | .number // empty')"

payload="$(mktemp)"
if [ "$rc" -eq 2 ]; then
  jq -Rs --arg lbl "$DRIFT_LABEL" '{title: "hrform: the HR systems differ from the manifests", body: ., labels: [$lbl]}' "$md" >"$payload"
  if [ -n "$issue" ]; then
    jq '{body}' "$payload" | gh api -X PATCH "repos/$GH_REPO/issues/$issue" --input - >/dev/null
    echo "hrform: drift: issue #$issue updated" >&2
  else
    issue="$(gh api -X POST "repos/$GH_REPO/issues" --input "$payload" | jq -r .number)"
    echo "hrform: drift: issue #$issue opened" >&2
  fi
elif [ -n "$issue" ]; then
  jq -n '{body: "hrform: no drift any more; the HR systems match the manifests."}' |
    gh api -X POST "repos/$GH_REPO/issues/$issue/comments" --input - >/dev/null
  jq -n '{state: "closed", state_reason: "completed"}' |
    gh api -X PATCH "repos/$GH_REPO/issues/$issue" --input - >/dev/null
  echo "hrform: no drift: issue #$issue closed" >&2
else
  echo "hrform: no drift" >&2
fi
rm -f "$md" "$payload"
# Drift is reported by the issue; the job itself succeeds.
exit 0
