-- Question: How much data did completed backups capture each day, per
--     account and resource type, over the last 30 /* :days */ days of the
--     report?
-- Audience: managers and FinOps (storage growth, cost trends in QuickSight).
-- Tables: backup_jobs (only its COMPLETED partitions); report_runs (the
--     newest reported day).
-- Dates: the 30 days that end on the newest reported day: the latest
--     report_date of the last 7 days with a succeeded backup, copy or
--     restore slice in report_runs (today when no day has). days_from and
--     days_to say which days. Partitions read: report_date from
--     current_date - 35 days to current_date.
-- Parameters: days = 30 (1..3650; length of the window, which ends on the
--     newest reported day).
-- Notes: backup_size_in_bytes of completed jobs; composite parent jobs are
--     left out so that their children are not counted twice. Incremental
--     backups report the size of what they captured, not the vault's total.

with

completed_jobs as (
    select
        report_date,
        account_id,
        account_name,
        resource_type,
        backup_size_in_bytes,
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

completed_in_window as (
    select
        completed_jobs.*,
        report_window.days_from,
        report_window.days_to
    from completed_jobs
    inner join report_window
        on
            completed_jobs.report_date
            between report_window.days_from and report_window.days_to
),

per_day as (
    select
        report_date,
        account_id,
        max(account_name) as account_name,
        resource_type,
        count(*) as completed_jobs,
        coalesce(sum(backup_size_in_bytes), 0) as backup_bytes,
        days_from,
        days_to
    from completed_in_window
    where coalesce(is_parent, false) = false
    group by report_date, account_id, resource_type, days_from, days_to
),

final as (
    select
        report_date,
        account_id,
        coalesce(account_name, '') as account_name,
        resource_type,
        completed_jobs,
        backup_bytes,
        round(cast(backup_bytes as double) / 1073741824, 3) as backup_gib,
        days_from,
        days_to
    from per_day
)

select * from final
order by report_date asc, account_name asc, account_id asc, resource_type asc
