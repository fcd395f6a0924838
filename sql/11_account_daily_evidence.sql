-- Question: For each account, day by day over the last 30 /* :days */ days
--     of the report, how many backup, copy and restore jobs completed or
--     failed, and how many resources got a completed backup?
-- Audience: auditors (30 days of evidence per account) and account owners.
-- Tables: backup_jobs, copy_jobs, restore_jobs; report_runs (the newest
--     reported day).
-- Dates: the 30 days that end on the newest reported day: the latest
--     report_date of the last 7 days with a succeeded backup, copy or
--     restore slice in report_runs (today when no day has). days_from and
--     days_to say which days. Partitions read: report_date from
--     current_date - 35 days to current_date.
-- Parameters: days = 30 (1..3650; length of the window, which ends on the
--     newest reported day).
-- Notes: failed = FAILED, ABORTED, EXPIRED or PARTIAL. A day on which an
--     account had no job at all has no row: check 10_report_completeness
--     to tell such a day from a day that was not reported.
with

backups as (
    select
        report_date,
        account_id,
        account_name,
        status,
        resource_arn
    from backup_jobs
    where
        report_date
        > current_date - interval '6' day - interval '30' /* :days */ day
        and report_date <= current_date
),

copies as (
    select
        report_date,
        account_id,
        account_name,
        status
    from copy_jobs
    where
        report_date
        > current_date - interval '6' day - interval '30' /* :days */ day
        and report_date <= current_date
),

restores as (
    select
        report_date,
        account_id,
        account_name,
        status
    from restore_jobs
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

all_jobs as (
    select
        report_date,
        account_id,
        account_name,
        'backup' as job_type,
        status,
        resource_arn
    from backups
    union all
    select
        report_date,
        account_id,
        account_name,
        'copy' as job_type,
        status,
        cast(null as varchar) as resource_arn
    from copies
    union all
    select
        report_date,
        account_id,
        account_name,
        'restore' as job_type,
        status,
        cast(null as varchar) as resource_arn
    from restores
),

jobs_in_report_window as (
    select
        all_jobs.*,
        report_window.days_from,
        report_window.days_to
    from all_jobs
    inner join report_window
        on
            all_jobs.report_date
            between report_window.days_from and report_window.days_to
),

per_account_day as (
    select
        report_date,
        account_id,
        max(account_name) as account_name,
        count_if(job_type = 'backup') as backup_jobs,
        count_if(
            job_type = 'backup' and status = 'COMPLETED'
        ) as backups_completed,
        count_if(
            job_type = 'backup'
            and status in ('FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL')
        ) as backups_failed,
        count(
            distinct case
                when job_type = 'backup' and status = 'COMPLETED'
                    then resource_arn
            end
        ) as resources_protected,
        count_if(
            job_type = 'copy' and status = 'COMPLETED'
        ) as copies_completed,
        count_if(
            job_type = 'copy' and status in ('FAILED', 'PARTIAL')
        ) as copies_failed,
        count_if(
            job_type = 'restore' and status = 'COMPLETED'
        ) as restores_completed,
        count_if(
            job_type = 'restore' and status in ('FAILED', 'ABORTED')
        ) as restores_failed,
        days_from,
        days_to
    from jobs_in_report_window
    group by report_date, account_id, days_from, days_to
),

final as (
    select
        report_date,
        account_id,
        coalesce(account_name, '') as account_name,
        backup_jobs,
        backups_completed,
        backups_failed,
        resources_protected,
        copies_completed,
        copies_failed,
        restores_completed,
        restores_failed,
        days_from,
        days_to
    from per_account_day
)

select * from final
order by account_name asc, account_id asc, report_date asc
