#!/usr/bin/env bash
# Merge job: find the pull request merged as COMMIT_SHA, fetch the plan
# reviewed on it (the artifact hrform-plan-<head sha> the pull-request job
# uploaded), apply exactly that plan, and write the outcome into the pull
# request's hrform comment. A stale plan (exit 4) applies nothing.
#
# Env: GH_REPO, COMMIT_SHA, HRFORM_DIR (default .), JOURNAL (default
# journal.jsonl), the providers' API key variables.
source "$(dirname "$0")/lib.sh"

: "${COMMIT_SHA:?COMMIT_SHA must be set}"
HRFORM_DIR="${HRFORM_DIR:-.}"
JOURNAL="${JOURNAL:-journal.jsonl}"
work="$(mktemp -d)"

pr="$(gh api "repos/$GH_REPO/commits/$COMMIT_SHA/pulls" | jq -r 'map(select(.merged_at != null)) | first // empty')"
if [ -z "$pr" ]; then
  echo "hrform: $COMMIT_SHA is not the merge of a pull request: nothing reviewed, nothing applied" >&2
  exit 1
fi
number="$(jq -r .number <<<"$pr")"
head="$(jq -r .head.sha <<<"$pr")"

url="$(gh api "repos/$GH_REPO/actions/artifacts?name=hrform-plan-$head&per_page=1" |
  jq -r '.artifacts | map(select(.expired | not)) | first | .archive_download_url // empty')"
if [ -z "$url" ]; then
  set_status "$number" "not applied: no reviewed plan.json for $head was found (expired or never made). Re-run the pull-request workflow's plan, review it, and re-run this workflow." || true
  exit 1
fi
gh api "$url" >"$work/plan.zip"
python3 -m zipfile -e "$work/plan.zip" "$work"

set +e
"$HRFORM" apply -C "$HRFORM_DIR" "$work/plan.json" --yes --journal "$JOURNAL"
rc=$?
set -e
case "$rc" in
  0) status="applied at $COMMIT_SHA." ;;
  4) status="not applied: the reviewed plan is stale (exit 4: the manifests or the live systems changed since it was made). Nothing stale was applied. To recover: open a pull request (an empty commit will do), review its fresh plan, and merge it." ;;
  *) status="failed at $COMMIT_SHA: \`hrform apply\` exited $rc ($(exit_meaning "$rc")); see the journal artifact." ;;
esac
set_status "$number" "$status" || true
rm -rf "$work"
exit "$rc"
