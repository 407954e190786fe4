#!/bin/sh
# Validate and plan time and peak memory: a 10,000-row roster with rules
# against the same people as YAML `users:` entries, planned against the
# in-process sandbox. Usage: scripts/roster-scale.sh [HRFORM_BINARY] [ROWS]
set -eu
bin=${1:-target/debug/hrform}
rows=${2:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" "$rows" <<'PY'
import os, sys
work, n = sys.argv[1], int(sys.argv[2])
depts = ["Sales", "Engineering", "Support", "Finance", "Operations"]
types = ["Full-Time", "Part-Time", "Contractor"]
gives = {"Full-Time": "Vacation", "Part-Time": "Sick", "Contractor": "Parental"}
people = [(f"p{i:05}@acme.test", depts[i % 5], types[i % 3]) for i in range(n)]
seed = ["seed_version: 1", "clockify:", "  api_key: k", "  workspace_id: 64a687e29ae1f428e7ebe303",
        "  key_owner: owner@acme.test", "  users:", "    - { email: owner@acme.test }"]
seed += [f"    - {{ email: {e} }}" for e, _, _ in people]
seed += ["  policies:"] + [f"    - {{ name: {p}, unit: days }}" for p in ["Vacation", "Sick", "Parental"]]
providers = ("providers:\n  clockify:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n"
             "policies:\n  clockify:\n" + "".join(f"    {p}: {{ has_expiration: false }}\n" for p in ["Vacation", "Sick", "Parental"]))
for kind in ["roster", "yaml"]:
    d = os.path.join(work, kind)
    os.makedirs(d)
    open(os.path.join(work, "seed.yaml"), "w").write("\n".join(seed) + "\n")
    open(os.path.join(d, "providers.yaml"), "w").write(providers)
    if kind == "roster":
        with open(os.path.join(d, "people.csv"), "w") as f:
            f.write("Email,Department,Type,Hire Date\r\n")
            for i, (e, dep, t) in enumerate(people):
                f.write(f"{e},{dep},{t},{1 + i % 12:02}/15/2020\r\n")
        rules = "".join(f"  - {{ name: {t.lower()}, when: {{ type: {t} }}, time_off: [{{ policy: {gives[t]} }}] }}\n" for t in types)
        open(os.path.join(d, "people.yaml"), "w").write(
            "rosters:\n  - file: people.csv\n    columns: { email: Email, start_date: Hire Date }\n"
            "    attributes: { department: Department, type: Type }\n    date_format: \"%m/%d/%Y\"\n"
            "rules:\n" + rules)
    else:
        with open(os.path.join(d, "people.yaml"), "w") as f:
            f.write("users:\n")
            for e, _, t in people:
                f.write(f"  - {{ email: {e}, time_off: [{{ policy: {gives[t]} }}] }}\n")
PY
for kind in roster yaml; do
  for cmd in validate plan; do
    extra=""
    [ "$cmd" = plan ] && extra="--sandbox $work/seed.yaml"
    /usr/bin/time -f "$kind $cmd: %e s wall, %M KiB peak RSS" \
      "$bin" $cmd -C "$work/$kind" $extra >/dev/null 2>"$work/err" || true
    cat "$work/err" | tail -3
  done
done
