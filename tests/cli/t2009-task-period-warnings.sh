#!/usr/bin/env bash
# Years outside the plan period on import: the tasks that start before it
# (the bundled list carries KF-16 and PZ-25..27 of the 2021-2025 plan) are
# named in one summary line with their years, not two warnings each; a year
# after the period stays a warning of its own, and `task add` of a single
# early task still warns on its years.
source "$(dirname "$0")/lib.sh"

pk init -q
cat >tasks.json <<'JSON'
{
  "plan_period": [2026, 2030],
  "tasks": [
    {"id": "OLD-1", "title": "old one", "start_year": 2021, "end_year": 2025, "citywide": true},
    {"id": "OLD-2", "title": "old two", "start_year": 2021, "end_year": 2025, "citywide": true},
    {"id": "GO-ON", "title": "continuing", "start_year": 2024, "end_year": 2027, "citywide": true},
    {"id": "NOW-1", "title": "this plan", "start_year": 2026, "end_year": 2030, "citywide": true},
    {"id": "LATE-1", "title": "a typo", "start_year": 2026, "end_year": 2062, "citywide": true}
  ]
}
JSON
pk task import tasks.json >"$WORK/out" 2>"$WORK/err"
expect_eq "the import succeeds" 0 $?
expect_eq "two warning lines: the summary and the year after the period" 2 "$(grep -c '^plankit: warning:' "$WORK/err")"
expect_grep "one line names every task that starts before the period, with its years" \
    "^plankit: warning: task import 'tasks.json': 3 tasks start before the plan period 2026-2030 (tasks of the previous plan? check the years): OLD-1 2021-2025, OLD-2 2021-2025, GO-ON 2024-2027$" "$WORK/err"
expect_grep "a year after the period is still its own warning" \
    "^plankit: warning: task 'LATE-1': end_year 2062 is outside the plan period 2026-2030$" "$WORK/err"
if grep -q "task 'OLD-1'" "$WORK/err"; then not_ok "no per-year warnings for the early tasks"; else ok "no per-year warnings for the early tasks"; fi
expect_eq "all five are stored, years as given" "GO-ON 2024-2027;LATE-1 2026-2062;NOW-1 2026-2030;OLD-1 2021-2025;OLD-2 2021-2025" \
    "$(spatialite_sql "SELECT id || ' ' || start_year || '-' || end_year FROM pk_tasks ORDER BY id" | paste -sd';')"
pk task import tasks.json -q 2>"$WORK/err"
expect_eq "-q hides the summary" "" "$(cat "$WORK/err")"

# a single task added by hand: its own warnings, as before
pk task add OLD-3 --title x --start 2019 --end 2020 2>"$WORK/err"
expect_eq "task add of an early task: a warning for each year" 2 "$(grep -c "^plankit: warning: task 'OLD-3': .*_year 20[12][09] is outside the plan period 2026-2030$" "$WORK/err")"

# the bundled list: one line for its four tasks of the previous plan
pk init -s kunshan.sqlite --with "$LAYERS/kunshan.json" 2>"$WORK/err" >/dev/null
expect_grep "init --with the Kunshan manifest: one line for the previous plan's tasks" \
    "4 tasks start before the plan period 2026-2030 (tasks of the previous plan? check the years): KF-16 2021-2025, PZ-25 2021-2025, PZ-26 2021-2025, PZ-27 2021-2025$" "$WORK/err"
expect_eq "... and no other warning" 1 "$(grep -c '^plankit: warning:' "$WORK/err")"

finish
