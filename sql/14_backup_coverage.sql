-- Question: Per account and resource type, how many of the organisation's
--     resources had a completed backup in the last 7 /* :days */ days
--     (coverage), worst first?
-- Audience: managers and auditors (coverage per team), operators.
-- Tables: resources (the AWS Config inventory: its latest snapshot),
--     backup_jobs (only its COMPLETED partitions).
-- Dates: the latest resources snapshot of the last 30 days; backup_jobs
--     report_date from current_date - 6 days to current_date.
-- Parameters: days = 7 (1..3650; a COMPLETED backup job created in the last
--     7 days, today included, protects a resource), history_days = 30
--     (1..3650; how far back the latest snapshot is looked up).
-- Notes: needs the job's --CONFIG_AGGREGATOR. coverage_pct = protected /
--     resources; unprotected resources are listed by 13_unprotected_resources.
--     A resource is its resource_arn, as AWS Backup reports it. Only what AWS
--     Config records is counted.

with

snapshots as (
    select
        report_date,
        resource_arn,
        resource_type,
        account_id,
        account_name
    from resources
    where
        report_date > current_date - interval '30' /* :history_days */ day
        and report_date <= current_date
),

completed_jobs as (
    select distinct resource_arn
    from backup_jobs
    where
        report_date > current_date - interval '7' /* :days */ day
        and report_date <= current_date
        and status = 'COMPLETED'
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

labelled as (
    select
        latest_snapshot.account_id,
        latest_snapshot.account_name,
        latest_snapshot.resource_type,
        completed_jobs.resource_arn is not null as is_protected
    from latest_snapshot
    left join completed_jobs
        on latest_snapshot.resource_arn = completed_jobs.resource_arn
),

final as (
    select
        account_id,
        coalesce(max(account_name), '') as account_name,
        resource_type,
        count(*) as resources,
        count_if(is_protected) as protected,
        count_if(not is_protected) as unprotected,
        round(100 * cast(count_if(is_protected) as double) / count(*), 2)
            as coverage_pct
    from labelled
    group by account_id, resource_type
)

select * from final
order by
    coverage_pct asc,
    unprotected desc,
    account_name asc,
    account_id asc,
    resource_type asc
