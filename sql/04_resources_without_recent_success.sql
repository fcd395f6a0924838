-- Question: Which resources had no successful backup in the last
--     2 /* :stale_days */ days, including resources whose backups only ever
--     failed (resources backed up in the last 30 /* :days */ days)?
-- Audience: operators and auditors (unprotected resources).
-- Tables: backup_jobs.
-- Dates: report_date from current_date - 29 days to current_date: the
--     resources backed up (or attempted) in 30 days, checked for a COMPLETED
--     job in the last 2 days (yesterday and today).
-- Parameters: days = 30 (1..3650; how far back a resource is known and its
--     last success looked up), stale_days = 2 (1..3650; days that must hold
--     a success).
-- Notes: a resource is its resource_arn. last_success_at is null when the
--     resource had no COMPLETED backup in the whole window. Completed with
--     issues counts as a success (a recovery point exists).

with

jobs as (
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
        report_date > current_date - interval '30' /* :days */ day
        and report_date <= current_date
),

labelled as (
    select
        *,
        report_date > current_date - interval '2' /* :stale_days */ day
            as is_recent
    from jobs
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
        count_if(status = 'COMPLETED') as successes_in_window
    from labelled
    group by resource_arn
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
        recent_failures
    from resources
    where recent_successes = 0
)

select * from final
order by
    last_success_at asc nulls first,
    account_name asc,
    account_id asc,
    resource_arn asc
