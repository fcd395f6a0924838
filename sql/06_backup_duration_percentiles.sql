-- Question: How long do completed backups take, per resource type (median
--     and 95th percentile), over the last 30 /* :days */ days of the report?
-- Audience: operators and architects (backup windows, start-by deadlines).
-- Tables: backup_jobs (only its COMPLETED partitions); report_runs (the
--     newest reported day).
-- Dates: the 30 days that end on the newest reported day: the latest
--     report_date of the last 7 days with a succeeded backup, copy or
--     restore slice in report_runs (today when no day has). days_from and
--     days_to say which days. Partitions read: report_date from
--     current_date - 35 days to current_date.
-- Parameters: days = 30 (1..3650; length of the window, which ends on the
--     newest reported day).
-- Notes: duration_seconds = completion_date - creation_date, so it includes
--     the time a job waited to start. Composite parent jobs are left out
--     (their children are counted). Athena's approx_percentile is an
--     estimate; the local engine computes the exact nearest-rank value.

with

completed_jobs as (
    select
        report_date,
        resource_type,
        duration_seconds,
        is_parent
    from backup_jobs
    where
        report_date
        > current_date - interval '6' day - interval '30' /* :days */ day
        and report_date <= current_date
        and status = 'COMPLETED'
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

measured as (
    select
        completed_jobs.resource_type,
        completed_jobs.duration_seconds,
        report_window.days_from,
        report_window.days_to
    from completed_jobs
    inner join report_window
        on
            completed_jobs.report_date
            between report_window.days_from and report_window.days_to
    where
        completed_jobs.duration_seconds is not null
        and coalesce(completed_jobs.is_parent, false) = false
),

per_type as (
    select
        resource_type,
        count(*) as completed_jobs,
        approx_percentile(duration_seconds, 0.5) as p50_seconds,
        approx_percentile(duration_seconds, 0.95) as p95_seconds,
        max(duration_seconds) as max_seconds,
        days_from,
        days_to
    from measured
    group by resource_type, days_from, days_to
),

final as (
    select
        resource_type,
        completed_jobs,
        p50_seconds,
        p95_seconds,
        max_seconds,
        round(cast(p50_seconds as double) / 60, 1) as p50_minutes,
        round(cast(p95_seconds as double) / 60, 1) as p95_minutes,
        days_from,
        days_to
    from per_type
)

select * from final
order by p95_seconds desc, resource_type asc
