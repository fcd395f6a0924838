-- Question: How many backup, copy and restore jobs ended in each status, day
--     by day, over the last 30 /* :days */ days of the report?
-- Audience: managers and QuickSight (trend lines); operators spotting a bad
--     day.
-- Tables: backup_jobs, copy_jobs, restore_jobs; report_runs (the newest
--     reported day).
-- Dates: the 30 days that end on the newest reported day: the latest
--     report_date of the last 7 days with a succeeded backup, copy or
--     restore slice in report_runs (today when no day has). days_from and
--     days_to say which days. Partitions read: report_date from
--     current_date - 35 days to current_date.
-- Parameters: days = 30 (1..3650; length of the window, which ends on the
--     newest reported day).
-- Notes: one row per day x job type x status that had jobs (zero counts are
--     left out). Jobs still RUNNING on a day are counted under their latest
--     status once a later run settles them.

with

backups as (
    select
        report_date,
        status
    from backup_jobs
    where
        report_date
        > current_date - interval '6' day - interval '30' /* :days */ day
        and report_date <= current_date
),

copies as (
    select
        report_date,
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
        'backup' as job_type,
        status
    from backups
    union all
    select
        report_date,
        'copy' as job_type,
        status
    from copies
    union all
    select
        report_date,
        'restore' as job_type,
        status
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

final as (
    select
        report_date,
        job_type,
        status,
        count(*) as job_count,
        days_from,
        days_to
    from jobs_in_report_window
    group by report_date, job_type, status, days_from, days_to
)

select * from final
order by report_date asc, job_type asc, status asc
