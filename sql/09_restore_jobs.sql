-- Question: Which restores ran in the last 30 /* :days */ days of the
--     report, did they work, and what did restore testing validate?
-- Audience: auditors (evidence that backups can be restored) and operators.
-- Tables: restore_jobs; report_runs (the newest reported day).
-- Dates: the 30 days that end on the newest reported day: the latest
--     report_date of the last 7 days with a succeeded backup, copy or
--     restore slice in report_runs (today when no day has). days_from and
--     days_to say which days. Partitions read: report_date from
--     current_date - 35 days to current_date.
-- Parameters: days = 30 (1..3650; length of the window, which ends on the
--     newest reported day).
-- Notes: is_restore_test is true for jobs started by a restore testing plan;
--     validation_status (SUCCESSFUL, FAILED, TIMED_OUT, VALIDATING) and
--     deletion_status are only set for those.

with

restores as (
    select
        report_date,
        status,
        account_id,
        account_name,
        region,
        resource_type,
        resource_arn,
        recovery_point_arn,
        created_resource_arn,
        creation_date,
        completion_date,
        duration_seconds,
        status_message,
        restore_testing_plan_arn,
        validation_status,
        validation_status_message,
        deletion_status,
        deletion_status_message,
        restore_job_id
    from restore_jobs
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
        days_to
    from newest_reported_day
),

restores_in_window as (
    select
        restores.*,
        report_window.days_from,
        report_window.days_to
    from restores
    inner join report_window
        on
            restores.report_date
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
        resource_arn,
        restore_testing_plan_arn is not null as is_restore_test,
        coalesce(
            regexp_extract(
                restore_testing_plan_arn, 'restore-testing-plan:(.+)$', 1
            ),
            ''
        ) as restore_testing_plan,
        coalesce(validation_status, '') as validation_status,
        coalesce(validation_status_message, '') as validation_status_message,
        coalesce(deletion_status, '') as deletion_status,
        creation_date,
        completion_date,
        duration_seconds,
        coalesce(status_message, '') as status_message,
        created_resource_arn,
        recovery_point_arn,
        restore_job_id,
        days_from,
        days_to
    from restores_in_window
)

select * from final
order by
    report_date desc,
    account_name asc,
    account_id asc,
    creation_date asc
