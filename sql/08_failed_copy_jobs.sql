-- Question: Which copy jobs (cross-region and cross-account copies) failed or
--     only partly succeeded in the last 7 /* :days */ days of the report,
--     where were they going, and why did they fail?
-- Audience: operators and disaster-recovery owners.
-- Tables: copy_jobs (only its FAILED and PARTIAL partitions); report_runs
--     (the newest reported day).
-- Dates: the 7 days that end on the newest reported day: the latest
--     report_date of the last 7 days with a succeeded backup, copy or
--     restore slice in report_runs (today when no day has). days_from and
--     days_to say which days. Partitions read: report_date from
--     current_date - 12 days to current_date.
-- Parameters: days = 7 (1..3650; length of the window, which ends on the
--     newest reported day).
-- Notes: destination region and account come from the destination vault's
--     ARN (arn:<partition>:backup:<region>:<account>:backup-vault:<name>).

with

failed_copies as (
    select
        report_date,
        status,
        account_id,
        account_name,
        region,
        resource_type,
        resource_name,
        resource_arn,
        destination_backup_vault_arn,
        creation_date,
        message_category,
        status_message,
        is_parent,
        created_by_backup_job_id,
        copy_job_id
    from copy_jobs
    where
        report_date
        > current_date - interval '6' day - interval '7' /* :days */ day
        and report_date <= current_date
        and status in ('FAILED', 'PARTIAL')
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

with_destination as (
    select
        failed_copies.*,
        report_window.days_from,
        report_window.days_to,
        split_part(failed_copies.destination_backup_vault_arn, ':', 4)
            as destination_region,
        split_part(failed_copies.destination_backup_vault_arn, ':', 5)
            as destination_account_id
    from failed_copies
    inner join report_window
        on
            failed_copies.report_date
            between report_window.days_from and report_window.days_to
),

final as (
    select
        report_date,
        status,
        account_id,
        coalesce(account_name, '') as account_name,
        region as source_region,
        destination_region,
        destination_account_id,
        case
            when
                destination_region <> region
                and destination_account_id <> account_id
                then 'cross-region, cross-account'
            when destination_account_id <> account_id then 'cross-account'
            when destination_region <> region then 'cross-region'
            else 'same region and account'
        end as copy_kind,
        resource_type,
        coalesce(resource_name, '') as resource_name,
        resource_arn,
        destination_backup_vault_arn,
        creation_date,
        coalesce(message_category, '') as message_category,
        coalesce(status_message, '') as status_message,
        coalesce(is_parent, false) as is_parent,
        created_by_backup_job_id,
        copy_job_id,
        days_from,
        days_to
    from with_destination
)

select * from final
order by
    report_date desc,
    account_name asc,
    account_id asc,
    creation_date asc
