-- Question: Per account and resource type, how many restore tests ran in the
--     last 30 /* :days */ days and how many passed validation?
-- Audience: auditors and managers (recoverability evidence at a glance).
-- Tables: restore_jobs (only its COMPLETED and FAILED partitions).
-- Dates: report_date from current_date - 29 days to current_date (30 days).
-- Parameters: days = 30 (1..3650; length of the window, today included).
-- Notes: a restore test is a restore job started by a restore testing plan.
--     A test passes when it COMPLETED and its validation is SUCCESSFUL; one
--     still VALIDATING is pending, not failed. pass_rate_pct is over tests
--     that reached a verdict (passed + failed).

with

tests as (
    select
        account_id,
        account_name,
        resource_type,
        status,
        validation_status,
        creation_date
    from restore_jobs
    where
        report_date > current_date - interval '30' /* :days */ day
        and report_date <= current_date
        and status in ('COMPLETED', 'FAILED')
        and restore_testing_plan_arn is not null
),

judged as (
    select
        *,
        status = 'COMPLETED'
        and coalesce(validation_status, '') = 'SUCCESSFUL' as is_passed,
        status = 'COMPLETED'
        and coalesce(validation_status, '') in ('', 'VALIDATING')
            as is_pending
    from tests
),

per_type as (
    select
        account_id,
        max(account_name) as account_name,
        resource_type,
        count(*) as restore_tests,
        count_if(is_passed) as passed,
        count_if(is_pending) as pending,
        count_if(not is_passed and not is_pending) as failed,
        max(case when is_passed then creation_date end) as last_passed_at
    from judged
    group by account_id, resource_type
),

final as (
    select
        account_id,
        coalesce(account_name, '') as account_name,
        resource_type,
        restore_tests,
        passed,
        failed,
        pending,
        round(
            100 * cast(passed as double) / nullif(passed + failed, 0), 2
        ) as pass_rate_pct,
        last_passed_at
    from per_type
)

select * from final
order by
    pass_rate_pct asc nulls last,
    account_name asc,
    account_id asc,
    resource_type asc
