#!/usr/bin/env bash
# Filter values are checked: an unknown --status, --pillar or --lead is an
# error listing the known values (query gaps --status foo reported every town
# as a gap). Statuses take their Chinese names; pillars their code or English name.
source "$(dirname "$0")/lib.sh"

pk init --with "$LAYERS/kunshan.json" -q
pk task update PZ-22 --status in_progress -q

expect_fail_unchanged "query gaps --status foo" \
    "unknown status 'foo': use planned (计划中), in_progress (进行中), done (已完成), delayed (暂停), cancelled (已取消)" \
    pk query gaps --layer towns --status foo
expect_fail_unchanged "coverage --status foo" "unknown status 'foo'" pk coverage --by towns --status foo
expect_fail_unchanged "query tasks --status foo" "unknown status 'foo'" pk query tasks --in towns:周庄镇 --status foo
expect_fail_unchanged "task list --status foo" "unknown status 'foo'" pk task list --status foo
expect_fail_unchanged "coverage --pillar nosuch" \
    "unknown pillar 'nosuch': known pillars: 智造之城 (ZZ), 开放之城 (KF), 品质之城 (PZ), 幸福之城 (XF)" \
    pk coverage --by towns --pillar nosuch
expect_fail_unchanged "query gaps --pillar nosuch" "unknown pillar 'nosuch'" pk query gaps --layer towns --pillar nosuch
expect_fail_unchanged "task list --pillar nosuch" "unknown pillar 'nosuch'" pk task list --pillar nosuch
expect_fail_unchanged "task list --lead nosuch" "unknown lead 'nosuch': leads of the tasks: .*市住建局" pk task list --lead nosuch

# Chinese statuses, pillar codes and English names
expect_eq "task list --status 进行中 is --status in_progress" \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT group_concat(id) FROM (SELECT id FROM pk_tasks WHERE status='in_progress' ORDER BY rowid)")" \
    "$(pk task list --status 进行中 --format csv | tail -n +2 | cut -d, -f1 | paste -sd,)"
expect_grep "... PZ-22 among them" '^PZ-22,' <(pk task list --status 进行中 --format csv)
expect_eq "... the same as in English" "$(pk task list --status in_progress --format csv)" "$(pk task list --status 进行中 --format csv)"
expect_eq "query gaps --status 计划中 is --status planned" "$(pk query gaps --layer towns --status planned --format csv)" \
    "$(pk query gaps --layer towns --status 计划中 --format csv)"
expect_eq "coverage --pillar PZ is --pillar 品质之城" "$(pk coverage --by towns --pillar 品质之城 --format csv)" \
    "$(pk coverage --by towns --pillar PZ --format csv)"
expect_eq "task list --pillar 'City of Quality' is --pillar 品质之城" "$(pk task list --pillar 品质之城 --format csv)" \
    "$(pk task list --pillar 'City of Quality' --format csv)"
n=$(pk task list --lead 市住建局 --format csv | tail -n +2 | grep -c '')
expect_eq "task list --lead 市住建局 lists that lead's tasks" \
    "$(sqlite3 "$PLANKIT_STORE" "SELECT count(*) FROM pk_tasks WHERE lead='市住建局'")" "$n"
[ "$n" -gt 0 ] && ok "... some" || not_ok "... none"

# statuses given to tasks
pk task update ZZ-01 --status 已完成 -q
expect_eq "task update --status 已完成 stores done" done "$(sqlite3 "$PLANKIT_STORE" "SELECT status FROM pk_tasks WHERE id='ZZ-01'")"
pk task update ZZ-01 --status Delayed -q
expect_eq "English in any case" delayed "$(sqlite3 "$PLANKIT_STORE" "SELECT status FROM pk_tasks WHERE id='ZZ-01'")"
expect_fail_unchanged "task add with an unknown status lists the Chinese names too" \
    "invalid status 'soon': use planned (计划中), in_progress (进行中)" pk task add N-1 --title new --status soon
printf 'id,title,status\nN-2,新任务,暂停\n' >s.csv
pk task import s.csv -q
expect_eq "task import reads 暂停 as delayed" delayed "$(sqlite3 "$PLANKIT_STORE" "SELECT status FROM pk_tasks WHERE id='N-2'")"

finish
