-- Question: How much data did completed backups capture each day, per
--     account and resource type, over the last 30 /* :days */ days?
-- Audience: managers and FinOps (storage growth, cost trends in QuickSight).
-- Tables: backup_jobs (only its COMPLETED partitions).
-- Dates: report_date from current_date - 29 days to current_date (30 days).
-- Parameters: days = 30 (1..3650; length of the window, today included).
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
        report_date > current_date - interval '30' /* :days */ day
        and report_date <= current_date
        and status = 'COMPLETED'
),

per_day as (
    select
        report_date,
        account_id,
        max(account_name) as account_name,
        resource_type,
        count(*) as completed_jobs,
        coalesce(sum(backup_size_in_bytes), 0) as backup_bytes
    from completed_jobs
    where coalesce(is_parent, false) = false
    group by report_date, account_id, resource_type
),

final as (
    select
        report_date,
        account_id,
        coalesce(account_name, '') as account_name,
        resource_type,
        completed_jobs,
        backup_bytes,
        round(cast(backup_bytes as double) / 1073741824, 3) as backup_gib
    from per_day
)

select * from final
order by report_date asc, account_name asc, account_id asc, resource_type asc
