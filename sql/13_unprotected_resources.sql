-- Question: Which resources of the organisation had no completed backup in
--     the last 7 /* :days */ days of the report, or never had one?
-- Audience: auditors ("which production databases have no backup?") and
--     operators ("what did we forget to put in a backup plan?").
-- Tables: resources (the AWS Config inventory: its latest snapshot),
--     backup_jobs; report_runs (the newest reported day).
-- Dates: the latest resources snapshot of the last 30 days; backup_jobs in
--     windows that end on the newest reported day: the latest report_date
--     of the last 7 days with a succeeded backup, copy or restore slice in
--     report_runs (today when no day has). A COMPLETED backup in its last 7
--     days (days_from to days_to) protects a resource; the last completed
--     backup and the last attempt are looked up in its last 30 days.
--     Partitions read: resources from current_date - 29 days, backup_jobs
--     from current_date - 35 days, to current_date.
-- Parameters: days = 7 (1..3650; a COMPLETED backup job created in the last
--     7 days of the report protects a resource), history_days = 30
--     (1..3650; how far back the snapshot, the last completed backup and the
--     last attempt are looked up).
-- Notes: needs the job's --CONFIG_AGGREGATOR. A resource is its
--     resource_arn, as AWS Backup reports it. last_completed_at is null when
--     no backup of the resource completed in the last 30 days ("never", as
--     far as the report knows); last_attempt_status is the status of its
--     latest backup job, null when it had none. Completed with issues counts
--     as completed. Only what AWS Config records is listed.
--     days_since_completed counts from current_date.

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
        report_date
        > current_date - interval '6' day
        - interval '30' /* :history_days */ day
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
            days_to - interval '7' /* :days */ day + interval '1' day as date
        ) as days_from,
        days_to,
        cast(
            days_to - interval '30' /* :history_days */ day + interval '1' day
            as date
        ) as history_from
    from newest_reported_day
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

jobs_in_history as (
    select
        jobs.*,
        jobs.report_date >= report_window.days_from as is_recent
    from jobs
    inner join report_window
        on
            jobs.report_date
            between report_window.history_from and report_window.days_to
),

backups as (
    select
        resource_arn,
        max(
            case when status = 'COMPLETED' then creation_date end
        ) as last_completed_at,
        max(creation_date) as last_attempt_at,
        max_by(status, creation_date) as last_attempt_status,
        count_if(status = 'COMPLETED' and is_recent) as recent_completed
    from jobs_in_history
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
        latest_snapshot.report_date as snapshot_date,
        report_window.days_from,
        report_window.days_to
    from latest_snapshot
    cross join report_window
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
