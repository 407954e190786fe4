#!/usr/bin/env bash
# Merge job (HR keys present, read-only token): find the pull request merged
# as COMMIT_SHA, the plan reviewed on it and that plan's digest, and apply
# exactly that plan. Writes the outcome for the status job (no HR keys),
# which marks the comment: STATUS_OUT gets "NUMBER<TAB>TEXT".
#
# The plan: the artifact hrform-plan of the successful run of PLAN_WORKFLOW
# on the pull request's head commit, found by that run's id (an artifact
# name alone could be any run's). The digest: plan_sha256 of the marker of
# the pull request's hrform comment written by the workflow token's user,
# i.e. what the reviewers saw. `hrform apply --plan-sha256` refuses any
# other file (exit 6) before it reads, locks or writes anything.
#
# Env: GH_REPO, COMMIT_SHA, PLAN_WORKFLOW (default hrform-plan.yml),
# HRFORM_DIR (default .), JOURNAL (default journal.jsonl), STATUS_OUT
# (default status.tsv), the providers' API key variables.
source "$(dirname "$0")/lib.sh"

: "${GH_REPO:?GH_REPO must be set}" "${COMMIT_SHA:?COMMIT_SHA must be set}"
HRFORM_DIR="${HRFORM_DIR:-.}"
JOURNAL="${JOURNAL:-journal.jsonl}"
STATUS_OUT="${STATUS_OUT:-status.tsv}"
PLAN_WORKFLOW="${PLAN_WORKFLOW:-hrform-plan.yml}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

pr="$(gh api "repos/$GH_REPO/commits/$COMMIT_SHA/pulls" | jq -c 'map(select(.merged_at != null)) | first // empty')"
if [ -z "$pr" ]; then
  echo "hrform: $COMMIT_SHA is not the merge of a pull request: nothing reviewed, nothing applied" >&2
  exit 1
fi
number="$(jq -r '.number | tostring | select(test("^[0-9]+$"))' <<<"$pr")"
head="$(jq -r '.head.sha | select(test("^[0-9a-f]{40}$"))' <<<"$pr")"
if [ -z "$number" ] || [ -z "$head" ]; then
  echo "hrform: unexpected pull request data for $COMMIT_SHA" >&2
  exit 1
fi

report() {
  printf '%s\t%s\n' "$number" "$1" >"$STATUS_OUT"
}

# The reviewed digest, from our comment (never from anyone else's).
id="$(find_comment "$number")"
if [ -n "$id" ]; then
  gh api "repos/$GH_REPO/issues/comments/$id" | jq -r .body >"$work/comment.md"
  digest="$(marker_digest "$work/comment.md")"
else
  digest=""
fi
if [ -z "$digest" ]; then
  report "not applied: the pull request has no reviewed plan (no hrform comment with a plan digest). Nothing was applied."
  exit 1
fi

# The plan run of the head commit, then its artifact, by the run's id.
run="$(gh api "repos/$GH_REPO/actions/workflows/$PLAN_WORKFLOW/runs?head_sha=$head&status=success&per_page=100" |
  jq -r --arg head "$head" '.workflow_runs | map(select(.head_sha == $head and .conclusion == "success")) | sort_by(.run_number) | last | .id // empty')"
url=""
if [ -n "$run" ]; then
  url="$(gh api "repos/$GH_REPO/actions/runs/$run/artifacts" |
    jq -r '.artifacts | map(select(.name == "hrform-plan" and (.expired | not))) | first | .archive_download_url // empty')"
fi
if [ -z "$url" ]; then
  report "not applied: no plan artifact of a successful $PLAN_WORKFLOW run on $head was found (expired or never made). Re-run the pull request's plan, review it, and re-run this workflow."
  exit 1
fi
gh api "$url" >"$work/plan.zip"
mkdir "$work/plan"
python3 -m zipfile -e "$work/plan.zip" "$work/plan"

set +e
"$HRFORM" apply -C "$HRFORM_DIR" "$work/plan/plan.json" --plan-sha256 "$digest" --yes --journal "$JOURNAL"
rc=$?
set -e
case "$rc" in
  0) status="applied at $COMMIT_SHA." ;;
  4) status="not applied: the reviewed plan is stale (exit 4: the manifests or the live systems changed since it was made). Nothing stale was applied. To recover: open a pull request (an empty commit will do), review its fresh plan, and merge it." ;;
  6) status="not applied: the plan artifact of run $run is not the reviewed plan (its SHA-256 differs from the comment's $digest, exit 6). Nothing was applied. Re-run the pull request's plan, review it, and merge again." ;;
  *) status="failed at $COMMIT_SHA: \`hrform apply\` exited $rc ($(exit_meaning "$rc")); see the journal artifact." ;;
esac
report "$status"
exit "$rc"
