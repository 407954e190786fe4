#!/usr/bin/env bash
# Comment job of a pull request (NO HR keys; its token may write to pull
# requests): create or edit the one hrform comment of the pull request to
# the comment.md the plan job made.
#
# Env: GH_REPO, PR_NUMBER, COMMENT (default comment.md).
source "$(dirname "$0")/lib.sh"

: "${PR_NUMBER:?PR_NUMBER must be set}"
COMMENT="${COMMENT:-comment.md}"
case "$PR_NUMBER" in *[!0-9]* | "") echo "hrform: not a pull request number: $PR_NUMBER" >&2; exit 64 ;; esac
[ -f "$COMMENT" ] || { echo "hrform: no $COMMENT from the plan job" >&2; exit 1; }
id="$(upsert_comment "$PR_NUMBER" "$COMMENT")"
echo "hrform: comment $id on #$PR_NUMBER" >&2
