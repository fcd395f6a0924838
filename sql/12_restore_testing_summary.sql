-- Question: Per account and resource type, how many restore tests ran in the
--     last 30 /* :days */ days of the report and how many passed validation?
-- Audience: auditors and managers (recoverability evidence at a glance).
-- Tables: restore_jobs (only its COMPLETED and FAILED partitions);
--     report_runs (the newest reported day).
-- Dates: the 30 days that end on the newest reported day: the latest
--     report_date of the last 7 days with a succeeded backup, copy or
--     restore slice in report_runs (today when no day has). days_from and
--     days_to say which days. Partitions read: report_date from
--     current_date - 35 days to current_date.
-- Parameters: days = 30 (1..3650; length of the window, which ends on the
--     newest reported day).
-- Notes: a restore test is a restore job started by a restore testing plan.
--     A test passes when it COMPLETED and its validation is SUCCESSFUL; one
--     still VALIDATING is pending, not failed. pass_rate_pct is over tests
--     that reached a verdict (passed + failed).

with

tests as (
    select
        report_date,
        account_id,
        account_name,
        resource_type,
        status,
        validation_status,
        creation_date
    from restore_jobs
    where
        report_date
        > current_date - interval '6' day - interval '30' /* :days */ day
        and report_date <= current_date
        and status in ('COMPLETED', 'FAILED')
        and restore_testing_plan_arn is not null
),

reported_slices as (
    select report_date
    from report_runs
    where
        report_date > current_date - interval '7' day
        and report_date <= current_date
        and succeeded
        and job_type in ('backup', 'copy', 'restore')
),

newest_reported_day as (
    select coalesce(max(report_date), current_date) as days_to
    from reported_slices
),

report_window as (
    select
        cast(
            days_to - interval '30' /* :days */ day + interval '1' day as date
        ) as days_from,
        days_to
    from newest_reported_day
),

judged as (
    select
        tests.*,
        report_window.days_from,
        report_window.days_to,
        tests.status = 'COMPLETED'
        and coalesce(tests.validation_status, '') = 'SUCCESSFUL' as is_passed,
        tests.status = 'COMPLETED'
        and coalesce(tests.validation_status, '') in ('', 'VALIDATING')
            as is_pending
    from tests
    inner join report_window
        on
            tests.report_date
            between report_window.days_from and report_window.days_to
),

per_type as (
    select
        account_id,
        max(account_name) as account_name,
        resource_type,
        count(*) as restore_tests,
        count_if(is_passed) as passed,
        count_if(is_pending) as pending,
        count_if(not is_passed and not is_pending) as failed,
        max(case when is_passed then creation_date end) as last_passed_at,
        days_from,
        days_to
    from judged
    group by account_id, resource_type, days_from, days_to
),

final as (
    select
        account_id,
        coalesce(account_name, '') as account_name,
        resource_type,
        restore_tests,
        passed,
        failed,
        pending,
        round(
            100 * cast(passed as double) / nullif(passed + failed, 0), 2
        ) as pass_rate_pct,
        last_passed_at,
        days_from,
        days_to
    from per_type
)

select * from final
order by
    pass_rate_pct asc nulls last,
    account_name asc,
    account_id asc,
    resource_type asc
