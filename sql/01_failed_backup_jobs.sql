-- Question: Which backup jobs failed, were aborted, expired or only partly
--     succeeded in the last 2 /* :days */ days of the report, and why?
-- Audience: operators, for the morning check ("what failed last night?").
-- Tables: backup_jobs (partitions report_date and status: only the four
--     failure statuses are read), report_runs (the newest reported day).
-- Dates: the 2 days that end on the newest reported day: the latest
--     report_date of the last 7 days with a succeeded backup, copy or
--     restore slice in report_runs (today once today's run has reported,
--     yesterday before it; today when no day has). days_from and days_to
--     say which days. Partitions read: report_date from current_date - 7
--     days to current_date.
-- Parameters: days = 2 (1..3650; length of the window, which ends on the
--     newest reported day).
-- Notes: a job appears once, under its latest status. A composite (parent)
--     job and its failed child both appear; is_parent tells them apart.

with

failed_jobs as (
    select
        report_date,
        status,
        account_id,
        account_name,
        region,
        resource_type,
        resource_name,
        resource_arn,
        backup_vault_name,
        creation_date,
        completion_date,
        message_category,
        status_message,
        is_parent,
        parent_job_id,
        backup_job_id
    from backup_jobs
    where
        report_date
        > current_date - interval '6' day - interval '2' /* :days */ day
        and report_date <= current_date
        and status in ('FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL')
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
            days_to - interval '2' /* :days */ day + interval '1' day as date
        ) as days_from,
        days_to
    from newest_reported_day
),

failed_in_window as (
    select
        failed_jobs.*,
        report_window.days_from,
        report_window.days_to
    from failed_jobs
    inner join report_window
        on
            failed_jobs.report_date
            between report_window.days_from and report_window.days_to
),

final as (
    select
        report_date,
        status,
        account_id,
        coalesce(account_name, '') as account_name,
        region,
        resource_type,
        coalesce(resource_name, '') as resource_name,
        resource_arn,
        backup_vault_name,
        creation_date,
        completion_date,
        coalesce(message_category, '') as message_category,
        coalesce(status_message, '') as status_message,
        coalesce(is_parent, false) as is_parent,
        parent_job_id,
        backup_job_id,
        days_from,
        days_to
    from failed_in_window
)

select * from final
order by
    report_date desc,
    account_name asc,
    account_id asc,
    region asc,
    creation_date asc
