#!/usr/bin/env bash
# Pull-request job: validate (annotations on the diff), then, for pull
# requests from this repository only, plan, save plan.json for the merge
# job, write the plan to the job summary and create or edit the one hrform
# comment of the pull request.
#
# Env: GH_REPO, PR_NUMBER, PR_HEAD_REPO (owner/name the head branch lives
# in), HRFORM_DIR (manifests, default .), PLAN_OUT (default plan.json),
# GITHUB_STEP_SUMMARY (optional), the providers' API key variables.
source "$(dirname "$0")/lib.sh"

: "${PR_NUMBER:?PR_NUMBER must be set}"
HRFORM_DIR="${HRFORM_DIR:-.}"
PLAN_OUT="${PLAN_OUT:-plan.json}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"

set +e
"$HRFORM" validate -C "$HRFORM_DIR" --format github
valid=$?
set -e

if [ "${PR_HEAD_REPO:-$GH_REPO}" != "$GH_REPO" ]; then
  # A fork's code never runs with the repository's secrets; its plan is
  # made after a maintainer pushes the branch here.
  echo "hrform: pull request from the fork $PR_HEAD_REPO: validated only, no plan" >&2
  echo "hrform: pull request from a fork: validated only; no plan is made with this repository's keys." >>"$summary"
  exit "$valid"
fi

md="$(mktemp)"
rc=$valid
if [ "$rc" -eq 0 ]; then
  set +e
  "$HRFORM" plan -C "$HRFORM_DIR" --format github --output markdown --out "$PLAN_OUT" >"$md"
  rc=$?
  set -e
fi
# No plan: the comment must not go on showing an earlier push's plan.
if [ "$rc" -ne 0 ]; then
  {
    printf '%s{"format_version":1,"failed":true} -->\n' "$HRFORM_MARKER"
    printf '**Status:** no plan: `hrform validate` or `hrform plan` exited %s (%s); see the job log.\n' "$rc" "$(exit_meaning "$rc")"
  } >"$md"
fi
cat "$md" >>"$summary"
id="$(upsert_comment "$PR_NUMBER" "$md")"
echo "hrform: comment $id on #$PR_NUMBER" >&2
rm -f "$md"
exit "$rc"
