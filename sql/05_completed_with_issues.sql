-- Question: Which backup and copy jobs completed, but with issues, in the
--     last 7 /* :days */ days?
-- Audience: operators (silent problems: a Windows VSS backup that fell back
--     to crash-consistent, objects skipped...).
-- Tables: backup_jobs, copy_jobs (only their COMPLETED partitions).
-- Dates: report_date from current_date - 6 days to current_date (7 days).
-- Parameters: days = 7 (1..3650; length of the window, today included).
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
        report_date > current_date - interval '7' /* :days */ day
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
        report_date > current_date - interval '7' /* :days */ day
        and report_date <= current_date
        and status = 'COMPLETED'
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
        job_id
    from with_issues
)

select * from final
order by
    report_date desc,
    job_type asc,
    account_name asc,
    account_id asc,
    creation_date asc
