#!/usr/bin/env bash
# hrform in GitLab CI. One mode per job, so that no job holds both an HR key
# and a token that can write:
#
#   plan          (HR keys; no GitLab token) validate and plan the merge
#                 request's manifests (MR_TREE, data only); writes plan.json
#                 and note.md into OUT_DIR.
#   note          (note token; no HR keys) create or edit the one hrform
#                 note of the merge request to note.md.
#   apply         (HR keys; a read_api token) find the merge request merged
#                 as CI_COMMIT_SHA, the digest in its hrform note, and
#                 plan.json of the hrform-plan job of the latest successful
#                 pipeline on its head commit (by job id); apply exactly
#                 that file (`--plan-sha256`). Writes status.tsv.
#   status        (note token; no HR keys) write status.tsv into the note.
#   drift-plan    (HR keys; no token) plan --detailed-exitcode; drift.md
#                 and drift.rc into OUT_DIR.
#   drift-report  (issue token; no HR keys) open one issue labelled
#                 hrform-drift, update it, or close it when there is no
#                 drift any more.
#
# Needs: bash, curl, jq, python3 (apply). Env: CI_API_V4_URL, CI_PROJECT_ID,
# HRFORM_GITLAB_TOKEN (the token of the mode), CI_MERGE_REQUEST_IID (note),
# CI_COMMIT_SHA (apply); HRFORM_DIR (default .), OUT_DIR/IN_DIR (default .),
# the providers' API key variables. $CURL and $HRFORM name the programs.
set -euo pipefail

HRFORM="${HRFORM:-hrform}"
CURL="${CURL:-curl}"
HRFORM_DIR="${HRFORM_DIR:-.}"
MARKER='<!-- hrform '
DRIFT_LABEL="${DRIFT_LABEL:-hrform-drift}"

gitlab() {
  : "${CI_API_V4_URL:?}" "${CI_PROJECT_ID:?}" "${HRFORM_GITLAB_TOKEN:?HRFORM_GITLAB_TOKEN must be set}"
  project="$CI_API_V4_URL/projects/$CI_PROJECT_ID"
}

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

me() { api GET "$CI_API_V4_URL/user" | jq -r .id; }

# find_note IID: our note on merge request IID (marker AND the token's user).
find_note() {
  api GET "$project/merge_requests/$1/notes?per_page=100&sort=asc" |
    jq -r --argjson me "$(me)" --arg marker "$MARKER" '
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

number() {
  case "$1" in *[!0-9]* | "") echo "hrform: not a number: $1" >&2; exit 1 ;; esac
}

out_dir() {
  mkdir -p "${OUT_DIR:-.}"
  (cd "${OUT_DIR:-.}" && pwd)
}

case "${1:-}" in
  plan)
    out="$(out_dir)"
    # In the merge request's tree, so that reports name its files; only
    # hrform and coreutils from PATH run here.
    cd "${MR_TREE:-.}"
    set +e
    "$HRFORM" validate -C "$HRFORM_DIR" --format text
    rc=$?
    if [ "$rc" -eq 0 ]; then
      "$HRFORM" plan -C "$HRFORM_DIR" --output markdown --out "$out/plan.json" >"$out/note.md"
      rc=$?
    fi
    set -e
    if [ "$rc" -ne 0 ]; then
      rm -f "$out/plan.json"
      printf '%s{"format_version":1,"failed":true} -->\n**Status:** no plan: `hrform validate` or `hrform plan` exited %s; see the job log.\n' "$MARKER" "$rc" >"$out/note.md"
    fi
    exit "$rc"
    ;;
  note)
    gitlab
    number "${CI_MERGE_REQUEST_IID:-}"
    id="$(put_note "$CI_MERGE_REQUEST_IID" "${IN_DIR:-.}/note.md")"
    echo "hrform: note $id on !$CI_MERGE_REQUEST_IID" >&2
    ;;
  apply)
    gitlab
    : "${CI_COMMIT_SHA:?}"
    status_out="$(out_dir)/status.tsv"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    mr="$(api GET "$project/repository/commits/$CI_COMMIT_SHA/merge_requests" |
      jq -c 'map(select(.state == "merged")) | first // empty')"
    if [ -z "$mr" ]; then
      echo "hrform: $CI_COMMIT_SHA is not a merged merge request: nothing applied" >&2
      exit 1
    fi
    iid="$(jq -r .iid <<<"$mr")"
    number "$iid"
    report() { printf '%s\t%s\n' "$iid" "$1" >"$status_out"; }
    # The reviewed digest: plan_sha256 of our note's marker.
    id="$(find_note "$iid")"
    digest=""
    if [ -n "$id" ]; then
      digest="$(api GET "$project/merge_requests/$iid/notes/$id" | jq -r .body | head -n 1 |
        sed -n 's/^<!-- hrform \(.*\) -->$/\1/p' |
        jq -r 'try .plan_sha256 catch empty | strings | select(test("^sha256:[0-9a-f]{64}$"))' 2>/dev/null || true)"
    fi
    if [ -z "$digest" ]; then
      report "not applied: the merge request has no reviewed plan (no hrform note with a plan digest). Nothing was applied."
      exit 1
    fi
    # The plan: the hrform-plan job of the latest successful pipeline on
    # the request's head commit, by job id.
    head="$(api GET "$project/merge_requests/$iid" | jq -r '.sha | select(test("^[0-9a-f]{40}$"))')"
    pipeline="$(api GET "$project/merge_requests/$iid/pipelines" |
      jq -r --arg head "$head" 'map(select(.sha == $head and .status == "success")) | max_by(.id) | .id // empty')"
    job=""
    if [ -n "$pipeline" ]; then
      number "$pipeline"
      job="$(api GET "$project/pipelines/$pipeline/jobs?scope%5B%5D=success" |
        jq -r 'map(select(.name == "hrform-plan")) | first | .id // empty')"
    fi
    if [ -z "$job" ]; then
      report "not applied: no plan.json of a successful hrform-plan job on $head was found. Re-run the merge request's pipeline, review the plan, and re-run this job."
      exit 1
    fi
    number "$job"
    api GET "$project/jobs/$job/artifacts/plan.json" >"$work/plan.json"
    set +e
    "$HRFORM" apply -C "$HRFORM_DIR" "$work/plan.json" --plan-sha256 "$digest" --yes --journal journal.jsonl
    rc=$?
    set -e
    case "$rc" in
      0) status="applied at $CI_COMMIT_SHA." ;;
      4) status="not applied: the reviewed plan is stale (exit 4). Nothing stale was applied. To recover: open a merge request (an empty commit will do), review its fresh plan, and merge it." ;;
      6) status="not applied: the plan of job $job is not the reviewed plan (its SHA-256 differs from the note's $digest, exit 6). Nothing was applied." ;;
      *) status="failed at $CI_COMMIT_SHA: \`hrform apply\` exited $rc; see the journal artifact." ;;
    esac
    report "$status"
    exit "$rc"
    ;;
  status)
    gitlab
    IFS=$'\t' read -r iid text <"${IN_DIR:-.}/status.tsv"
    number "$iid"
    id="$(find_note "$iid")"
    [ -n "$id" ] || { echo "hrform: no hrform note on !$iid" >&2; exit 1; }
    body="$(mktemp)"
    api GET "$project/merge_requests/$iid/notes/$id" | jq -r .body |
      awk -v status="**Status:** $text" '!done && /^\*\*Status:\*\*/ { print status; done = 1; next } { print }' >"$body"
    put_note "$iid" "$body" >/dev/null
    rm -f "$body"
    ;;
  drift-plan)
    out="$(out_dir)"
    set +e
    "$HRFORM" plan -C "$HRFORM_DIR" --detailed-exitcode --output markdown >"$out/drift.md"
    rc=$?
    set -e
    echo "$rc" >"$out/drift.rc"
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
      echo "hrform: plan exited $rc" >&2
      exit "$rc"
    fi
    ;;
  drift-report)
    gitlab
    in="${IN_DIR:-.}"
    rc="$(cat "$in/drift.rc")"
    case "$rc" in 0 | 2) ;; *) echo "hrform: the drift plan failed (exit $rc)" >&2; exit 1 ;; esac
    issue="$(api GET "$project/issues?state=opened&labels=$DRIFT_LABEL&per_page=100" |
      jq -r --argjson me "$(me)" 'map(select(.author.id == $me)) | first | .iid // empty')"
    payload="$(mktemp)"
    if [ "$rc" -eq 2 ]; then
      jq -Rs --arg lbl "$DRIFT_LABEL" '{title: "hrform: the HR systems differ from the manifests", description: ., labels: $lbl}' "$in/drift.md" >"$payload"
      if [ -n "$issue" ]; then
        jq '{description}' "$payload" >"$payload.upd"
        api PUT "$project/issues/$issue" "$payload.upd" >/dev/null
        echo "hrform: drift: issue #$issue updated" >&2
      else
        issue="$(api POST "$project/issues" "$payload" | jq -r .iid)"
        echo "hrform: drift: issue #$issue opened" >&2
      fi
    elif [ -n "$issue" ]; then
      jq -n '{body: "hrform: no drift any more; the HR systems match the manifests."}' >"$payload"
      api POST "$project/issues/$issue/notes" "$payload" >/dev/null
      jq -n '{state_event: "close"}' >"$payload"
      api PUT "$project/issues/$issue" "$payload" >/dev/null
      echo "hrform: no drift: issue #$issue closed" >&2
    else
      echo "hrform: no drift" >&2
    fi
    rm -f "$payload" "$payload.upd"
    ;;
  *)
    echo "usage: hrform.sh plan|note|apply|status|drift-plan|drift-report" >&2
    exit 64
    ;;
esac
