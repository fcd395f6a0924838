-- Question: Which resources of the organisation had no completed backup in
--     the last 7 /* :days */ days, or never had one?
-- Audience: auditors ("which production databases have no backup?") and
--     operators ("what did we forget to put in a backup plan?").
-- Tables: resources (the AWS Config inventory: its latest snapshot),
--     backup_jobs.
-- Dates: the latest resources snapshot of the last 30 days; backup_jobs
--     report_date from current_date - 29 days to current_date.
-- Parameters: days = 7 (1..3650; a COMPLETED backup job created in the last
--     7 days, today included, protects a resource), history_days = 30
--     (1..3650; how far back the snapshot, the last completed backup and the
--     last attempt are looked up).
-- Notes: needs the job's --CONFIG_AGGREGATOR. A resource is its
--     resource_arn, as AWS Backup reports it. last_completed_at is null when
--     no backup of the resource completed in the last 30 days ("never", as
--     far as the report knows); last_attempt_status is the status of its
--     latest backup job, null when it had none. Completed with issues counts
--     as completed. Only what AWS Config records is listed.

with

snapshots as (
    select
        report_date,
        resource_arn,
        resource_name,
        resource_type,
        account_id,
        account_name,
        region,
        tags
    from resources
    where
        report_date > current_date - interval '30' /* :history_days */ day
        and report_date <= current_date
),

jobs as (
    select
        report_date,
        status,
        resource_arn,
        creation_date
    from backup_jobs
    where
        report_date > current_date - interval '30' /* :history_days */ day
        and report_date <= current_date
),

dated_snapshots as (
    select
        *,
        max(report_date) over () as latest_report_date
    from snapshots
),

latest_snapshot as (
    select *
    from dated_snapshots
    where report_date = latest_report_date
),

backups as (
    select
        resource_arn,
        max(
            case when status = 'COMPLETED' then creation_date end
        ) as last_completed_at,
        max(creation_date) as last_attempt_at,
        max_by(status, creation_date) as last_attempt_status,
        count_if(
            status = 'COMPLETED'
            and report_date > current_date - interval '7' /* :days */ day
        ) as recent_completed
    from jobs
    group by resource_arn
),

final as (
    select
        latest_snapshot.account_id,
        coalesce(latest_snapshot.account_name, '') as account_name,
        latest_snapshot.region,
        latest_snapshot.resource_type,
        coalesce(latest_snapshot.resource_name, '') as resource_name,
        latest_snapshot.resource_arn,
        latest_snapshot.tags,
        backups.last_completed_at,
        date_diff(
            'day', cast(backups.last_completed_at as date), current_date
        ) as days_since_completed,
        backups.last_attempt_at,
        backups.last_attempt_status,
        latest_snapshot.report_date as snapshot_date
    from latest_snapshot
    left join backups
        on latest_snapshot.resource_arn = backups.resource_arn
    where coalesce(backups.recent_completed, 0) = 0
)

select * from final
order by
    last_completed_at asc nulls first,
    account_name asc,
    region asc,
    resource_type asc,
    resource_arn asc
