-- Question: Over the last 14 /* :days */ days of the report, does the
--     report hold every job that AWS Backup itself counted, per day, job
--     type, region, account and state?
-- Audience: auditors (independent evidence that the report is complete) and
--     operators (what still differs, and why).
-- Tables: reconciliation (each run's comparison with AWS Backup's daily
--     job counts); report_runs (the newest reported day).
-- Dates: the 14 days that end on the newest reported day: the latest
--     report_date of the last 7 days with a succeeded backup, copy or
--     restore slice in report_runs (today when no day has). days_from and
--     days_to say which days. Partitions read: report_date from
--     current_date - 19 days to current_date.
-- Parameters: days = 14 (1..3650; length of the window, which ends on the
--     newest reported day; AWS Backup counts the 14 days before a run).
-- Notes: one row per day x job type x region x account x state that either
--     side counts, as the latest run that compared that day wrote it.
--     reported is the report's count after that run, aws_backup AWS
--     Backup's (List*JobSummaries), difference reported - aws_backup.
--     outcome: DIFFERS (recorded, not healed: a lasting difference such as
--     a job AWS no longer lists but the report keeps, or a day never
--     reported), UNKNOWN (the report's count could not be known), REWRITTEN
--     (that run rewrote the slice to reconcile it), NOT COMPARABLE YET (the
--     day ended less than 24 hours before the run), EQUAL. Differences come
--     first. States the listing never shows (copy COMPLETING, FAILING,
--     ABORTING, ABORTED; restore CREATED) are compared inside their
--     account's total only.

with

compared as (
    select
        report_date,
        job_type,
        region,
        account_id,
        state,
        reported,
        aws_backup,
        difference,
        action,
        summary_start,
        summary_end,
        checked_at,
        run_id
    from reconciliation
    where
        report_date
        > current_date - interval '6' day - interval '14' /* :days */ day
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
            days_to - interval '14' /* :days */ day + interval '1' day as date
        ) as days_from,
        days_to
    from newest_reported_day
),

compared_in_window as (
    select
        compared.*,
        report_window.days_from,
        report_window.days_to
    from compared
    inner join report_window
        on
            compared.report_date
            between report_window.days_from and report_window.days_to
),

outcomes as (
    select
        *,
        case
            when action = 'equal' then 'EQUAL'
            when action = 'rewritten' then 'REWRITTEN'
            when action = 'not_comparable' then 'NOT COMPARABLE YET'
            when reported is null then 'UNKNOWN'
            when difference = 0 then 'EQUAL'
            else 'DIFFERS'
        end as outcome
    from compared_in_window
),

final as (
    select
        report_date,
        job_type,
        region,
        account_id,
        state,
        outcome,
        reported,
        aws_backup,
        difference,
        action,
        summary_start,
        summary_end,
        checked_at,
        run_id,
        days_from,
        days_to
    from outcomes
)

select * from final
order by
    case
        when outcome in ('DIFFERS', 'UNKNOWN') then 0
        when outcome = 'REWRITTEN' then 1
        when outcome = 'NOT COMPARABLE YET' then 2
        else 3
    end asc,
    report_date desc,
    job_type asc,
    region asc,
    account_id asc,
    state asc
