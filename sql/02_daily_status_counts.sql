-- Question: How many backup, copy and restore jobs ended in each status, day
--     by day, over the last 30 /* :days */ days?
-- Audience: managers and QuickSight (trend lines); operators spotting a bad
--     day.
-- Tables: backup_jobs, copy_jobs, restore_jobs.
-- Dates: report_date from current_date - 29 days to current_date (30 days).
-- Parameters: days = 30 (1..3650; length of the window, today included).
-- Notes: one row per day x job type x status that had jobs (zero counts are
--     left out). Jobs still RUNNING on a day are counted under their latest
--     status once a later run settles them.

with

backup_jobs_in_window as (
    select
        report_date,
        status
    from backup_jobs
    where
        report_date > current_date - interval '30' /* :days */ day
        and report_date <= current_date
),

copy_jobs_in_window as (
    select
        report_date,
        status
    from copy_jobs
    where
        report_date > current_date - interval '30' /* :days */ day
        and report_date <= current_date
),

restore_jobs_in_window as (
    select
        report_date,
        status
    from restore_jobs
    where
        report_date > current_date - interval '30' /* :days */ day
        and report_date <= current_date
),

all_jobs as (
    select
        report_date,
        'backup' as job_type,
        status
    from backup_jobs_in_window
    union all
    select
        report_date,
        'copy' as job_type,
        status
    from copy_jobs_in_window
    union all
    select
        report_date,
        'restore' as job_type,
        status
    from restore_jobs_in_window
),

final as (
    select
        report_date,
        job_type,
        status,
        count(*) as job_count
    from all_jobs
    group by report_date, job_type, status
)

select * from final
order by report_date asc, job_type asc, status asc
