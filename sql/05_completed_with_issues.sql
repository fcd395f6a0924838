-- Question: Which backup and copy jobs completed, but with issues, in the
--     last 7 /* :days */ days of the report?
-- Audience: operators (silent problems: a Windows VSS backup that fell back
--     to crash-consistent, objects skipped...).
-- Tables: backup_jobs, copy_jobs (only their COMPLETED partitions);
--     report_runs (the newest reported day).
-- Dates: the 7 days that end on the newest reported day: the latest
--     report_date of the last 7 days with a succeeded backup, copy or
--     restore slice in report_runs (today when no day has). days_from and
--     days_to say which days. Partitions read: report_date from
--     current_date - 12 days to current_date.
-- Parameters: days = 7 (1..3650; length of the window, which ends on the
--     newest reported day).
-- Notes: "completed with issues" = status COMPLETED with a message_category
--     other than SUCCESS (AWS Backup's own definition). A completed job with
--     no message_category is not counted.

with

completed_backups as (
    select
        report_date,
        account_id,
        account_name,
        region,
        resource_type,
        resource_name,
        resource_arn,
        creation_date,
        message_category,
        status_message,
        backup_job_id
    from backup_jobs
    where
        report_date
        > current_date - interval '6' day - interval '7' /* :days */ day
        and report_date <= current_date
        and status = 'COMPLETED'
),

completed_copies as (
    select
        report_date,
        account_id,
        account_name,
        region,
        resource_type,
        resource_name,
        resource_arn,
        creation_date,
        message_category,
        status_message,
        copy_job_id
    from copy_jobs
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

with_issues as (
    select
        report_date,
        'backup' as job_type,
        account_id,
        account_name,
        region,
        resource_type,
        resource_name,
        resource_arn,
        creation_date,
        message_category,
        status_message,
        backup_job_id as job_id
    from completed_backups
    where message_category <> 'SUCCESS'
    union all
    select
        report_date,
        'copy' as job_type,
        account_id,
        account_name,
        region,
        resource_type,
        resource_name,
        resource_arn,
        creation_date,
        message_category,
        status_message,
        copy_job_id as job_id
    from completed_copies
    where message_category <> 'SUCCESS'
),

with_issues_in_window as (
    select
        with_issues.*,
        report_window.days_from,
        report_window.days_to
    from with_issues
    inner join report_window
        on
            with_issues.report_date
            between report_window.days_from and report_window.days_to
),

final as (
    select
        report_date,
        job_type,
        account_id,
        coalesce(account_name, '') as account_name,
        region,
        resource_type,
        coalesce(resource_name, '') as resource_name,
        resource_arn,
        creation_date,
        message_category,
        coalesce(status_message, '') as status_message,
        job_id,
        days_from,
        days_to
    from with_issues_in_window
)

select * from final
order by
    report_date desc,
    job_type asc,
    account_name asc,
    account_id asc,
    creation_date asc
