-- Question: Per account and resource type, how many of the organisation's
--     resources had a completed backup in the last 7 /* :days */ days of the
--     report (coverage), worst first?
-- Audience: managers and auditors (coverage per team), operators.
-- Tables: resources (the AWS Config inventory: its latest snapshot),
--     backup_jobs (only its COMPLETED partitions); report_runs (the newest
--     reported day).
-- Dates: the latest resources snapshot of the last 30 days; backup_jobs in
--     the 7 days that end on the newest reported day: the latest
--     report_date of the last 7 days with a succeeded backup, copy or
--     restore slice in report_runs (today when no day has). days_from and
--     days_to say which days. Partitions read: resources from current_date
--     - 29 days, backup_jobs from current_date - 12 days, to current_date.
-- Parameters: days = 7 (1..3650; a COMPLETED backup job created in the last
--     7 days of the report protects a resource), history_days = 30
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
    select
        report_date,
        resource_arn
    from backup_jobs
    where
        report_date
        > current_date - interval '6' day - interval '7' /* :days */ day
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
            days_to - interval '7' /* :days */ day + interval '1' day as date
        ) as days_from,
        days_to
    from newest_reported_day
),

protected_resources as (
    select distinct completed_jobs.resource_arn
    from completed_jobs
    inner join report_window
        on
            completed_jobs.report_date
            between report_window.days_from and report_window.days_to
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
        report_window.days_from,
        report_window.days_to,
        protected_resources.resource_arn is not null as is_protected
    from latest_snapshot
    cross join report_window
    left join protected_resources
        on latest_snapshot.resource_arn = protected_resources.resource_arn
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
            as coverage_pct,
        days_from,
        days_to
    from labelled
    group by account_id, resource_type, days_from, days_to
)

select * from final
order by
    coverage_pct asc,
    unprotected desc,
    account_name asc,
    account_id asc,
    resource_type asc
