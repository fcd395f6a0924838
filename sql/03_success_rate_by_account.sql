-- Question: Which accounts have the lowest backup success rate over the last
--     30 /* :days */ days of the report?
-- Audience: managers and auditors (which teams need a nudge), operators.
-- Tables: backup_jobs; report_runs (the newest reported day).
-- Dates: the 30 days that end on the newest reported day: the latest
--     report_date of the last 7 days with a succeeded backup, copy or
--     restore slice in report_runs (today when no day has). days_from and
--     days_to say which days. Partitions read: report_date from
--     current_date - 35 days to current_date.
-- Parameters: days = 30 (1..3650; length of the window, which ends on the
--     newest reported day).
-- Notes: success rate = COMPLETED / finished jobs, where finished means
--     COMPLETED, FAILED, ABORTED, EXPIRED or PARTIAL; jobs still CREATED,
--     PENDING, RUNNING or ABORTING are counted in jobs but not in the rate.
--     Worst first; an account with no finished job comes last.

with

backups as (
    select
        report_date,
        account_id,
        account_name,
        status,
        message_category
    from backup_jobs
    where
        report_date
        > current_date - interval '6' day - interval '30' /* :days */ day
        and report_date <= current_date
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

jobs as (
    select
        backups.*,
        report_window.days_from,
        report_window.days_to
    from backups
    inner join report_window
        on
            backups.report_date
            between report_window.days_from and report_window.days_to
),

per_account as (
    select
        account_id,
        max(account_name) as account_name,
        count(*) as jobs,
        count_if(
            status in ('COMPLETED', 'FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL')
        ) as finished_jobs,
        count_if(status = 'COMPLETED') as completed_jobs,
        count_if(
            status = 'COMPLETED' and message_category <> 'SUCCESS'
        ) as completed_with_issues,
        count_if(status = 'FAILED') as failed_jobs,
        count_if(status = 'ABORTED') as aborted_jobs,
        count_if(status = 'EXPIRED') as expired_jobs,
        count_if(status = 'PARTIAL') as partial_jobs,
        days_from,
        days_to
    from jobs
    group by account_id, days_from, days_to
),

final as (
    select
        account_id,
        coalesce(account_name, '') as account_name,
        jobs,
        finished_jobs,
        completed_jobs,
        completed_with_issues,
        failed_jobs,
        aborted_jobs,
        expired_jobs,
        partial_jobs,
        round(
            100 * cast(completed_jobs as double) / nullif(finished_jobs, 0), 2
        ) as success_rate_pct,
        days_from,
        days_to
    from per_account
)

select * from final
order by success_rate_pct asc nulls last, failed_jobs desc, account_id asc
