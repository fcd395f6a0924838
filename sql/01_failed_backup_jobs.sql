-- Question: Which backup jobs failed, were aborted, expired or only partly
--     succeeded in the last 2 /* :days */ days (today included), and why?
-- Audience: operators, for the morning check ("what failed last night?").
-- Tables: backup_jobs (partitions report_date and status: only the four
--     failure statuses are read).
-- Dates: report_date from current_date - 1 day to current_date (2 days:
--     yesterday, and whatever today's run has reported so far).
-- Parameters: days = 2 (1..3650; length of the window, today included).
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
        report_date > current_date - interval '2' /* :days */ day
        and report_date <= current_date
        and status in ('FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL')
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
        backup_job_id
    from failed_jobs
)

select * from final
order by
    report_date desc,
    account_name asc,
    account_id asc,
    region asc,
    creation_date asc
