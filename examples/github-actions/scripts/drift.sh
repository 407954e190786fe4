#!/usr/bin/env bash
# Scheduled drift check, in two jobs:
#   drift.sh plan    (HR keys, read-only token, no GitHub calls): plan with
#                    --detailed-exitcode; writes drift.md and drift.rc
#                    into OUT_DIR (default .).
#   drift.sh report  (NO HR keys; token may write issues): changes (rc 2)
#                    open one issue, or update the one already open; no
#                    changes (rc 0) close it. The issue is found by its
#                    label and the token's user. Reads IN_DIR (default .).
#
# Env: GH_REPO (report), HRFORM_DIR (default .), DRIFT_LABEL (default
# hrform-drift), the providers' API key variables (plan).
source "$(dirname "$0")/lib.sh"

HRFORM_DIR="${HRFORM_DIR:-.}"
DRIFT_LABEL="${DRIFT_LABEL:-hrform-drift}"

case "${1:-}" in
  plan)
    OUT_DIR="${OUT_DIR:-.}"
    mkdir -p "$OUT_DIR"
    set +e
    "$HRFORM" plan -C "$HRFORM_DIR" --detailed-exitcode --output markdown >"$OUT_DIR/drift.md"
    rc=$?
    set -e
    echo "$rc" >"$OUT_DIR/drift.rc"
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
      echo "hrform: plan exited $rc ($(exit_meaning "$rc"))" >&2
      exit "$rc"
    fi
    exit 0
    ;;
  report) ;;
  *)
    echo "usage: drift.sh plan|report" >&2
    exit 64
    ;;
esac

: "${GH_REPO:?GH_REPO must be set}"
IN_DIR="${IN_DIR:-.}"
md="$IN_DIR/drift.md"
rc="$(cat "$IN_DIR/drift.rc")"
case "$rc" in
  0 | 2) ;;
  *) echo "hrform: the drift plan failed (exit $rc); nothing reported" >&2; exit 1 ;;
esac

issue="$(gh api "repos/$GH_REPO/issues?state=open&labels=$DRIFT_LABEL&per_page=100" |
  jq -r --arg author "$HRFORM_COMMENT_AUTHOR" 'map(select(.user.login == $author and (.pull_request | not))) | first | .number // empty')"

payload="$(mktemp)"
trap 'rm -f "$payload"' EXIT
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
# Drift is reported by the issue; the job itself succeeds.
exit 0
