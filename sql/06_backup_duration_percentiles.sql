-- Question: How long do completed backups take, per resource type (median
--     and 95th percentile), over the last 30 /* :days */ days?
-- Audience: operators and architects (backup windows, start-by deadlines).
-- Tables: backup_jobs (only its COMPLETED partitions).
-- Dates: report_date from current_date - 29 days to current_date (30 days).
-- Parameters: days = 30 (1..3650; length of the window, today included).
-- Notes: duration_seconds = completion_date - creation_date, so it includes
--     the time a job waited to start. Composite parent jobs are left out
--     (their children are counted). Athena's approx_percentile is an
--     estimate; the local engine computes the exact nearest-rank value.

with

completed_jobs as (
    select
        resource_type,
        duration_seconds,
        is_parent
    from backup_jobs
    where
        report_date > current_date - interval '30' /* :days */ day
        and report_date <= current_date
        and status = 'COMPLETED'
),

measured as (
    select
        resource_type,
        duration_seconds
    from completed_jobs
    where
        duration_seconds is not null
        and coalesce(is_parent, false) = false
),

per_type as (
    select
        resource_type,
        count(*) as completed_jobs,
        approx_percentile(duration_seconds, 0.5) as p50_seconds,
        approx_percentile(duration_seconds, 0.95) as p95_seconds,
        max(duration_seconds) as max_seconds
    from measured
    group by resource_type
),

final as (
    select
        resource_type,
        completed_jobs,
        p50_seconds,
        p95_seconds,
        max_seconds,
        round(cast(p50_seconds as double) / 60, 1) as p50_minutes,
        round(cast(p95_seconds as double) / 60, 1) as p95_minutes
    from per_type
)

select * from final
order by p95_seconds desc, resource_type asc
