-- Question: Which accounts have the lowest backup success rate over the last
--     30 /* :days */ days?
-- Audience: managers and auditors (which teams need a nudge), operators.
-- Tables: backup_jobs.
-- Dates: report_date from current_date - 29 days to current_date (30 days).
-- Parameters: days = 30 (1..3650; length of the window, today included).
-- Notes: success rate = COMPLETED / finished jobs, where finished means
--     COMPLETED, FAILED, ABORTED, EXPIRED or PARTIAL; jobs still CREATED,
--     PENDING, RUNNING or ABORTING are counted in jobs but not in the rate.
--     Worst first; an account with no finished job comes last.

with

jobs as (
    select
        account_id,
        account_name,
        status,
        message_category
    from backup_jobs
    where
        report_date > current_date - interval '30' /* :days */ day
        and report_date <= current_date
),

per_account as (
    select
        account_id,
        max(account_name) as account_name,
        count(*) as jobs,
        count_if(
            status in ('COMPLETED', 'FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL')
        ) as finished_jobs,
        count_if(status = 'COMPLETED') as completed_jobs,
        count_if(
            status = 'COMPLETED' and message_category <> 'SUCCESS'
        ) as completed_with_issues,
        count_if(status = 'FAILED') as failed_jobs,
        count_if(status = 'ABORTED') as aborted_jobs,
        count_if(status = 'EXPIRED') as expired_jobs,
        count_if(status = 'PARTIAL') as partial_jobs
    from jobs
    group by account_id
),

final as (
    select
        account_id,
        coalesce(account_name, '') as account_name,
        jobs,
        finished_jobs,
        completed_jobs,
        completed_with_issues,
        failed_jobs,
        aborted_jobs,
        expired_jobs,
        partial_jobs,
        round(
            100 * cast(completed_jobs as double) / nullif(finished_jobs, 0), 2
        ) as success_rate_pct
    from per_account
)

select * from final
order by success_rate_pct asc nulls last, failed_jobs desc, account_id asc
