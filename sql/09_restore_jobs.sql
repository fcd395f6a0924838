-- Question: Which restores ran in the last 30 /* :days */ days, did they
--     work, and what did restore testing validate?
-- Audience: auditors (evidence that backups can be restored) and operators.
-- Tables: restore_jobs.
-- Dates: report_date from current_date - 29 days to current_date (30 days).
-- Parameters: days = 30 (1..3650; length of the window, today included).
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
        report_date > current_date - interval '30' /* :days */ day
        and report_date <= current_date
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
        restore_job_id
    from restores
)

select * from final
order by
    report_date desc,
    account_name asc,
    account_id asc,
    creation_date asc
