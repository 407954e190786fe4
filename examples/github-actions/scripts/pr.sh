#!/usr/bin/env bash
# Plan job of a pull request (HR keys present, read-only token, no API
# calls to GitHub): validate the pull request's manifests (annotations on
# the diff), plan, and write plan.json and comment.md into OUT_DIR for the
# comment job and the merge job. Runs from the BASE branch's checkout; the
# pull request's tree (HRFORM_DIR) is read as data by hrform and nothing in
# it is run.
#
# Env: PR_TREE (the checkout of the pull request's head), HRFORM_DIR (the
# manifests, relative to PR_TREE; default .), OUT_DIR (default .),
# GITHUB_STEP_SUMMARY (optional), the providers' API key variables.
source "$(dirname "$0")/lib.sh"

: "${PR_TREE:?PR_TREE (the checkout of the pull request) must be set}"
HRFORM_DIR="${HRFORM_DIR:-.}"
OUT_DIR="$(mkdir -p "${OUT_DIR:-.}" && cd "${OUT_DIR:-.}" && pwd)"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
md="$OUT_DIR/comment.md"
# hrform runs in the pull request's tree so that the annotations name its
# files as the diff does. Only hrform and coreutils found on PATH run here;
# PATH never holds a relative directory on GitHub's runners.
cd "$PR_TREE"

set +e
"$HRFORM" validate -C "$HRFORM_DIR" --format github
rc=$?
if [ "$rc" -eq 0 ]; then
  "$HRFORM" plan -C "$HRFORM_DIR" --format github --output markdown --out "$OUT_DIR/plan.json" >"$md"
  rc=$?
fi
set -e
# No plan: the comment must not go on showing an earlier push's plan.
if [ "$rc" -ne 0 ]; then
  rm -f "$OUT_DIR/plan.json"
  {
    printf '%s{"format_version":1,"failed":true} -->\n' "$HRFORM_MARKER"
    printf '**Status:** no plan: `hrform validate` or `hrform plan` exited %s (%s); see the job log.\n' "$rc" "$(exit_meaning "$rc")"
  } >"$md"
fi
cat "$md" >>"$summary"
exit "$rc"
