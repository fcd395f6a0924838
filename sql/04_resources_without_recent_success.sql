-- Question: Which resources had no successful backup in the last
--     2 /* :stale_days */ days, including resources whose backups only ever
--     failed (resources backed up in the last 30 /* :days */ days)?
-- Audience: operators and auditors (unprotected resources).
-- Tables: backup_jobs; report_runs (the newest reported day).
-- Dates: windows that end on the newest reported day: the latest
--     report_date of the last 7 days with a succeeded backup, copy or
--     restore slice in report_runs (today when no day has). The resources
--     backed up (or attempted) in its 30 days (days_from to days_to) are
--     checked for a COMPLETED job in its last 2 days (recent_from to
--     days_to). Partitions read: report_date from current_date - 35 days to
--     current_date.
-- Parameters: days = 30 (1..3650; how far back a resource is known and its
--     last success looked up), stale_days = 2 (1..3650; days that must hold
--     a success).
-- Notes: a resource is its resource_arn. last_success_at is null when the
--     resource had no COMPLETED backup in the whole window. Completed with
--     issues counts as a success (a recovery point exists).
--     days_since_success counts from current_date.

with

backups as (
    select
        report_date,
        status,
        account_id,
        account_name,
        region,
        resource_type,
        resource_arn,
        resource_name,
        creation_date,
        status_message
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
        cast(
            days_to - interval '2' /* :stale_days */ day + interval '1' day
            as date
        ) as recent_from,
        days_to
    from newest_reported_day
),

labelled as (
    select
        backups.*,
        report_window.days_from,
        report_window.recent_from,
        report_window.days_to,
        backups.report_date >= report_window.recent_from as is_recent
    from backups
    inner join report_window
        on
            backups.report_date
            between report_window.days_from and report_window.days_to
),

resources as (
    select
        resource_arn,
        max(account_id) as account_id,
        max(account_name) as account_name,
        max(region) as region,
        max(resource_type) as resource_type,
        max(resource_name) as resource_name,
        max(
            case when status = 'COMPLETED' then creation_date end
        ) as last_success_at,
        max(creation_date) as last_attempt_at,
        max_by(status, creation_date) as last_status,
        max_by(status_message, creation_date) as last_status_message,
        count_if(is_recent) as recent_jobs,
        count_if(is_recent and status = 'COMPLETED') as recent_successes,
        count_if(
            is_recent and status in ('FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL')
        ) as recent_failures,
        count_if(status = 'COMPLETED') as successes_in_window,
        days_from,
        recent_from,
        days_to
    from labelled
    group by resource_arn, days_from, recent_from, days_to
),

final as (
    select
        account_id,
        coalesce(account_name, '') as account_name,
        region,
        resource_type,
        coalesce(resource_name, '') as resource_name,
        resource_arn,
        last_success_at,
        date_diff('day', cast(last_success_at as date), current_date)
            as days_since_success,
        successes_in_window = 0 as has_no_success_in_window,
        last_attempt_at,
        last_status,
        coalesce(last_status_message, '') as last_status_message,
        recent_jobs,
        recent_failures,
        days_from,
        recent_from,
        days_to
    from resources
    where recent_successes = 0
)

select * from final
order by
    last_success_at asc nulls first,
    account_name asc,
    account_id asc,
    resource_arn asc
